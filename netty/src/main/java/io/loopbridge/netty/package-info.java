/**
 * Netty channels on loopbridge's loop threads. Reading order: {@link io.loopbridge.netty.NettyIo} (the public
 * entry point), {@code NettyDriver} (the loop's I/O seam, {@link io.loopbridge.core.LoopIo.Driver}, backed by a
 * {@code ManualIoEventLoop}), {@code LoopIoEventLoop} (that Netty loop, which counts a loop's coroutine steps as
 * its own thread), {@code PoolGroup} (a pool seen as an {@code IoEventLoopGroup}).
 */
package io.loopbridge.netty;
