package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
import io.loopbridge.netty.NettyIo;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The {@code io} parameter of the loop benchmarks: the same loop without I/O ({@code none}), with Netty NIO and
 * nothing registered ({@code nio}: the busy loop must make no system call), and with one listening channel
 * registered ({@code nioChannel}: each busy iteration then polls the selector without waiting, as Netty's and
 * asyncio's loops do).
 */
final class IoSetting {
    private IoSetting() {
    }

    static EventLoop.Builder apply(EventLoop.Builder builder, String io) {
        return switch (io) {
            case "none" -> builder;
            case "nio", "nioChannel" -> builder.io(NettyIo.nio());
            default -> throw new IllegalArgumentException("io '" + io + "' is not one of none, nio, nioChannel");
        };
    }

    /** For {@code nioChannel}: binds a listening channel on {@code loop}, from a coroutine on its thread. Else null. */
    static Channel register(EventLoop loop, String io) throws Exception {
        if (!io.equals("nioChannel")) {
            return null;
        }
        return loop.runUntilComplete(() -> {
            ChannelFuture bound = new ServerBootstrap().group(NettyIo.eventLoop(loop)).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0);
            NettyIo.wrap(bound).await();
            return bound.channel();
        });
    }
}
