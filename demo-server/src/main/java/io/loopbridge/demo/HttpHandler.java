package io.loopbridge.demo;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import io.loopbridge.core.TimerHandle;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests, on the connection's own loop: each full request becomes an {@link Endpoints.Answer},
 * answered at once or by a coroutine started here on this loop (no thread hop), which writes its response
 * itself. Answers are written in request order (HTTP/1.1 pipelining), whatever order their work completes in.
 * It also closes the connection when a request does not arrive whole within the request timeout (408) or when
 * the connection sits idle, and turns every failure into a JSON error response: the server never dies on input.
 * Every response names the loop that wrote it ({@value #LOOP_HEADER}).
 *
 * <p>Everything here runs on the connection's loop thread (handlers, coroutine steps, timer callbacks), so
 * nothing is synchronised; {@link #drain()} and {@link #abort()} are called there too, by {@link Connections}.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Longest request line (a longer one gets 414) and largest header block (431). */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;
    /** The response header naming the loop whose thread wrote the response. */
    static final String LOOP_HEADER = "X-Loop";

    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);
    private final Endpoints endpoints;
    private final Connections connections;
    private final Duration requestTimeout;
    private ChannelHandlerContext ctx;
    private EventLoop loop;
    /** Requests read and not yet handed to the channel, in request order. */
    private final ArrayDeque<Exchange> unanswered = new ArrayDeque<>();
    private int pending; // requests read whose response has not finished writing
    private boolean closing; // no request is read any more
    private TimerHandle requestDeadline; // set from a request's first byte until it has arrived whole
    private CompletableFuture<Void> drained; // set by drain(): completes when nothing is pending

    /** One request, from read to answered. */
    private static final class Exchange {
        final boolean keepAlive;
        Response response; // null until answered
        Task<?> task; // the coroutine answering it, if any

        Exchange(boolean keepAlive) {
            this.keepAlive = keepAlive;
        }
    }

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
                    requestDeadline = loop.callLater(requestTimeout, HttpHandler.this::requestTimedOut);
                }
                c.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.loop = Aio.getRunningLoop(); // the channel's loop: handlers run on its thread
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        cancelDeadline();
        if (closing) {
            return; // after a Connection: close request or a timeout, later requests are not answered
        }
        if (!request.decoderResult().isSuccess()) {
            answer(read(false), malformed(request.decoderResult().cause()));
            return;
        }
        Exchange exchange = read(HttpUtil.isKeepAlive(request));
        InetAddress client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                : InetAddress.getLoopbackAddress();
        Endpoints.Answer answer;
        try {
            answer = endpoints.handle(request.method(), request.uri(), client);
        } catch (Exception e) {
            answer(exchange, error(e));
            return;
        }
        switch (answer) {
            case Endpoints.Answer.Now(Response response) -> answer(exchange, response);
            case Endpoints.Answer.Later(Coroutine<Response> work) -> exchange.task = loop.createTask(() -> serve(exchange, work));
        }
    }

    private Exchange read(boolean keepAlive) {
        closing |= !keepAlive;
        pending++;
        Exchange exchange = new Exchange(keepAlive);
        unanswered.add(exchange);
        return exchange;
    }

    /** A request's coroutine: runs the endpoint's work and writes the answer itself, on this loop. */
    private Void serve(Exchange exchange, Coroutine<Response> work) {
        Response response;
        try {
            response = work.call();
        } catch (CancellationException cancelled) {
            answer(exchange, SHUTTING_DOWN); // the client left (no-op then), or the pool is shutting down
            throw cancelled;
        } catch (Exception e) {
            response = error(e);
        }
        answer(exchange, response);
        return null;
    }

    /** Records the answer and writes every answer that is now next in request order. */
    private void answer(Exchange exchange, Response response) {
        if (exchange.response != null) {
            return; // answered already (503 at the end of the grace period)
        }
        exchange.response = response;
        boolean wrote = false;
        for (Exchange next = unanswered.peek(); next != null && next.response != null; next = unanswered.peek()) {
            unanswered.poll();
            write(next);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private void write(Exchange exchange) {
        Response r = exchange.response;
        ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), r.body());
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().set(LOOP_HEADER, Aio.getRunningLoop().name());
        HttpUtil.setContentLength(res, body.readableBytes());
        // While the server drains, the connection's last answer closes it; earlier pipelined ones still go out.
        boolean stay = exchange.keepAlive
                && !(connections.draining() && unanswered.isEmpty() && requestDeadline == null);
        closing |= !stay;
        HttpUtil.setKeepAlive(res, stay); // HttpServerKeepAliveHandler closes the connection after a "close"
        ctx.write(res).addListener(f -> written());
    }

    /** A response finished writing (or failed to: the connection is gone). */
    private void written() {
        pending--;
        if (pending == 0 && drained != null) {
            drained.complete(null);
        }
    }

    /**
     * The server drains: closes the connection now if no request is in progress on it; completes when no
     * request read on it is still unwritten (the last answer says {@code Connection: close}).
     */
    CompletableFuture<Void> drain() {
        if (drained == null) {
            drained = new CompletableFuture<>();
        }
        if (pending == 0) {
            drained.complete(null);
            if (requestDeadline == null) {
                ctx.close();
            }
        }
        return drained;
    }

    /** The grace period is over: answers every request still unanswered with 503 and cancels its work. */
    int abort() {
        List<Exchange> open = List.copyOf(unanswered);
        int n = 0;
        for (Exchange exchange : open) {
            if (exchange.response == null) {
                n++;
                answer(exchange, GRACE_OVER);
                if (exchange.task != null) {
                    exchange.task.cancel();
                }
            }
        }
        return n;
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
        answer(read(false), Response.json(HttpResponseStatus.REQUEST_TIMEOUT, Map.of("error",
                "the request did not arrive whole within " + requestTimeout.toMillis()
                        + " ms of its first byte (--request-timeout-ms)")));
    }

    private void cancelDeadline() {
        if (requestDeadline != null) {
            requestDeadline.cancel();
            requestDeadline = null;
        }
    }

    /** The connection closed: its unanswered requests' work is cancelled (nobody is left to answer). */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        closing = true;
        for (Exchange exchange : unanswered) {
            if (exchange.task != null) {
                exchange.task.cancel();
            }
        }
        if (drained != null) {
            drained.complete(null);
        }
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

    private static final Response SHUTTING_DOWN = Response.json(HttpResponseStatus.SERVICE_UNAVAILABLE,
            Map.of("error", "shutting down"));
    private static final Response GRACE_OVER = Response.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("error",
            "shutting down: the server's grace period (--grace-ms) ended before this request finished"));

    private static Response error(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (e instanceof HttpException h) {
            return Response.json(h.status, h.body);
        }
        if (e instanceof RejectedExecutionException || e instanceof CancellationException) {
            return SHUTTING_DOWN;
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
