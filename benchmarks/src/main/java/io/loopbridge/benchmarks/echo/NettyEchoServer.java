package io.loopbridge.benchmarks.echo;

import io.loopbridge.benchmarks.http.ServerArgs;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The echo harness's plain Netty peer (benchmarks/run-echo.sh): Netty's own echo handler (write what was
 * read, flush when the read batch ends), with backpressure (reading stops while the channel is not writable).
 * One NIO event loop group of {@code --loops} threads (default 2) accepts and serves.
 *
 * <pre>java -cp ... io.loopbridge.benchmarks.echo.NettyEchoServer --port 9000 --loops 2</pre>
 */
public final class NettyEchoServer {
    private NettyEchoServer() {}

    public static void main(String[] args) throws InterruptedException {
        int port = ServerArgs.intArg(args, "--port", 9000);
        int loops = ServerArgs.intArg(args, "--loops", 2);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(ECHO)
                    .bind("127.0.0.1", port)
                    .sync()
                    .channel();
            System.out.println("netty echo listening on 127.0.0.1:" + port + " with " + loops + " event loops");
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static final Echo ECHO = new Echo();

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
            if (!ctx.channel().isWritable()) {
                // Reading stops before the flush: a flush that drains the buffer turns reading back on at once
                // (channelWritabilityChanged runs inside it); stopping after it would stop for good.
                ctx.channel().config().setAutoRead(false);
                ctx.flush();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
