package io.loopbridge.demo;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a full HTTP request into a call of {@link Endpoints} and writes its answer when it completes, from
 * whatever thread completes it (Netty hands the write to the channel's I/O thread). Any failure becomes a JSON
 * error response; the server never dies on input.
 */
@ChannelHandler.Sharable
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);
    private final Endpoints endpoints;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile CompletableFuture<Void> drained;

    HttpHandler(Endpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            write(ctx, keepAlive, error(HttpException.of(HttpResponseStatus.BAD_REQUEST, "malformed request")));
            return;
        }
        InetAddress client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                : InetAddress.getLoopbackAddress();
        inFlight.incrementAndGet();
        CompletableFuture<Response> answer;
        try {
            answer = endpoints.handle(request.method(), request.uri(), client);
        } catch (Throwable e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, failure) -> {
            try {
                write(ctx, keepAlive, failure == null ? response : error(failure));
            } finally {
                if (inFlight.decrementAndGet() == 0 && drained != null) {
                    drained.complete(null);
                }
            }
        });
    }

    /** Completes when no request is in flight (used by graceful shutdown once accepting has stopped). */
    CompletableFuture<Void> whenDrained() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        drained = f;
        if (inFlight.get() == 0) {
            f.complete(null);
        }
        return f;
    }

    private static Response error(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (e instanceof HttpException h) {
            return Response.json(h.status, h.body);
        }
        if (e instanceof RejectedExecutionException) {
            return Response.json(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    java.util.Map.of("error", "shutting down: " + e.getMessage()));
        }
        log.warn("request failed", e);
        return Response.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, java.util.Map.of("error", String.valueOf(e)));
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, Response r) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                Unpooled.copiedBuffer(r.body(), StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        HttpUtil.setContentLength(res, res.content().readableBytes());
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
