package io.loopbridge.demo;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: each full request becomes a call of {@link Endpoints}, and the answers are written
 * in request order (HTTP/1.1 pipelining), whatever order their work completes in. It also closes the
 * connection when a request does not arrive whole within the request timeout (408) or when the connection sits
 * idle, and turns every failure into a JSON error response: the server never dies on input.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Longest request line (a longer one gets 414) and largest header block (431). */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;

    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);
    private final Endpoints endpoints;
    private final Connections connections;
    private final Duration requestTimeout;
    private ChannelHandlerContext ctx;
    // Touched on the connection's event loop only:
    private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);
    private int pending; // requests read whose response is not yet written
    private boolean closing; // no request is read any more
    private ScheduledFuture<?> requestDeadline; // set from a request's first byte until it has arrived whole

    HttpHandler(Endpoints endpoints, Connections connections, Duration requestTimeout) {
        this.endpoints = endpoints;
        this.connections = connections;
        this.requestTimeout = requestTimeout;
    }

    /** Goes before the codec: a request's first byte starts its deadline; later bytes do not move it. */
    ChannelHandler requestStart() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (requestDeadline == null && !closing) {
                    requestDeadline = c.executor().schedule(HttpHandler.this::requestTimedOut,
                            requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
                }
                c.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        cancelDeadline();
        if (closing) {
            return; // after a Connection: close request or a timeout, later requests are not answered
        }
        if (!request.decoderResult().isSuccess()) {
            respond(CompletableFuture.completedFuture(malformed(request.decoderResult().cause())), false);
            return;
        }
        InetAddress client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                : InetAddress.getLoopbackAddress();
        CompletableFuture<Response> work;
        try {
            work = endpoints.handle(request.method(), request.uri(), client);
        } catch (Throwable e) {
            work = CompletableFuture.failedFuture(e);
        }
        respond(work, HttpUtil.isKeepAlive(request));
    }

    /** Queues the answer behind the connection's earlier ones; it is written once they all have been. */
    private void respond(CompletableFuture<Response> work, boolean keepAlive) {
        closing |= !keepAlive;
        pending++;
        CompletableFuture<Response> answer = new CompletableFuture<>(); // or 503 from Connections.abortInFlight
        work.whenComplete((response, failure) -> {
            if (!answer.isDone()) {
                answer.complete(failure == null ? response : error(failure));
            }
        });
        CompletableFuture<Void> written = lastWrite.thenCompose(v -> answer)
                .thenAcceptAsync(response -> write(response, keepAlive), ctx.executor());
        lastWrite = written.exceptionally(e -> null);
        connections.track(answer, written);
    }

    private void write(Response r, boolean keepAlive) {
        pending--;
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                Unpooled.copiedBuffer(r.body(), StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        HttpUtil.setContentLength(res, res.content().readableBytes());
        boolean stay = keepAlive && !connections.draining();
        closing |= !stay;
        HttpUtil.setKeepAlive(res, stay); // HttpServerKeepAliveHandler closes the connection after a "close"
        ctx.writeAndFlush(res);
    }

    /** Closes the connection if no request is in progress on it (graceful shutdown). */
    void closeIfIdle() {
        if (pending == 0 && requestDeadline == null) {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && pending == 0 && requestDeadline == null) {
            connections.timedOut(); // idle: no request in progress, nothing read or written for the idle timeout
            ctx.close();
        }
    }

    private void requestTimedOut() {
        requestDeadline = null;
        connections.timedOut();
        ctx.channel().config().setAutoRead(false);
        respond(CompletableFuture.completedFuture(Response.json(HttpResponseStatus.REQUEST_TIMEOUT, Map.of("error",
                "the request did not arrive whole within " + requestTimeout.toMillis()
                        + " ms of its first byte (--request-timeout-ms)"))), false);
    }

    private void cancelDeadline() {
        if (requestDeadline != null) {
            requestDeadline.cancel(false);
            requestDeadline = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        closing = true;
    }

    /** What the codec or the aggregator could not read: the connection is closed after the answer. */
    private static Response malformed(Throwable cause) {
        return switch (cause) {
            case TooLongHttpLineException e -> Response.json(HttpResponseStatus.REQUEST_URI_TOO_LONG, Map.of("error",
                    "request line longer than " + MAX_LINE_BYTES + " bytes: shorten the URL"));
            case TooLongHttpHeaderException e -> Response.json(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    Map.of("error", "request headers larger than " + MAX_HEADER_BYTES + " bytes: send fewer or shorter"
                            + " headers"));
            case TooLongHttpContentException e -> Response.json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    Map.of("error", e.getMessage()));
            default -> Response.json(HttpResponseStatus.BAD_REQUEST, Map.of("error", "malformed request: " + cause));
        };
    }

    private static Response error(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (e instanceof HttpException h) {
            return Response.json(h.status, h.body);
        }
        if (e instanceof RejectedExecutionException || e instanceof CancellationException) {
            return Response.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("error", "shutting down"));
        }
        log.warn("request failed", e);
        return Response.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, Map.of("error", String.valueOf(e)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** An HttpObjectAggregator whose 413 is answered by the handler, in order and as JSON, like every error. */
    static final class Aggregator extends HttpObjectAggregator {
        Aggregator(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            HttpRequest r = (HttpRequest) oversized;
            FullHttpRequest tooLarge = new DefaultFullHttpRequest(r.protocolVersion(), r.method(), r.uri());
            tooLarge.setDecoderResult(DecoderResult.failure(new TooLongHttpContentException("request body larger than "
                    + maxContentLength() + " bytes (--max-request-bytes)")));
            ctx.fireChannelRead(tooLarge);
        }
    }
}
