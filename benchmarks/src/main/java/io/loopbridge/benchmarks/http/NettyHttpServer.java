package io.loopbridge.benchmarks.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP harness's plain Netty peer (benchmarks/run-http.sh): {@code GET /sleep?ms=N} answers 200
 * {@code {"slept_ms":N}} after {@code ctx.executor().schedule(...)} of N ms on the connection's own event loop
 * (at once for 0), with callbacks only. One NIO event loop group of {@code --loops} threads (default 2) accepts
 * and serves; keep-alive as the request asks.
 *
 * <pre>java -cp ... io.loopbridge.benchmarks.http.NettyHttpServer --port 8080 --loops 2</pre>
 */
public final class NettyHttpServer {
    private NettyHttpServer() {}

    public static void main(String[] args) throws InterruptedException {
        int port = ServerArgs.intArg(args, "--port", 8080);
        int loops = ServerArgs.intArg(args, "--loops", 2);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), SLEEP);
                        }
                    })
                    .bind("127.0.0.1", port)
                    .sync()
                    .channel();
            System.out.println("netty listening on http://127.0.0.1:" + port + " with " + loops + " event loops");
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static final SleepHandler SLEEP = new SleepHandler();

    @ChannelHandler.Sharable
    private static final class SleepHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            String uri = req.uri();
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q);
            if (!req.method().equals(HttpMethod.GET) || !path.equals("/sleep")) {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":\"not found\"}", keepAlive);
                return;
            }
            int ms = ServerArgs.sleepMs(q < 0 ? null : uri.substring(q + 1));
            if (ms < 0) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"ms must be in [0, 60000]\"}", keepAlive);
            } else if (ms == 0) {
                respond(ctx, HttpResponseStatus.OK, ServerArgs.body(0), keepAlive);
            } else {
                ctx.executor()
                        .schedule(
                                () -> respond(ctx, HttpResponseStatus.OK, ServerArgs.body(ms), keepAlive),
                                ms,
                                TimeUnit.MILLISECONDS);
            }
        }

        private static void respond(
                ChannelHandlerContext ctx, HttpResponseStatus status, String body, boolean keepAlive) {
            ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            res.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            if (keepAlive) {
                ctx.writeAndFlush(res);
            } else {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
