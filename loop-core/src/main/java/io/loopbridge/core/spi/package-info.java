/**
 * What loopbridge's own modules need of a loop beyond its public API: {@link io.loopbridge.core.spi.LoopSpi}
 * (the running loop or null, whether a thread is a loop's, a close with a cause, per-loop attachments, the lag
 * hook), {@link io.loopbridge.core.spi.IdleStrategy} (the one spin-then-park policy) and
 * {@link io.loopbridge.core.spi.Checks} (argument checks, one message format).
 *
 * <p>Exported only to {@code io.loopbridge.bridge}, {@code io.loopbridge.metrics} and {@code io.loopbridge.netty}
 * on the module path. Not API: it may change in any release.
 */
package io.loopbridge.core.spi;
