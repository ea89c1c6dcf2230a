package io.loopbridge.demo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's open connections and the requests in flight on them: the connection limit, the timeout and
 * refusal counters, and the graceful drain on shutdown.
 */
final class Connections {
    private final ChannelGroup open = new DefaultChannelGroup("demo-connections", GlobalEventExecutor.INSTANCE);
    private final Set<CompletableFuture<Response>> inFlight = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final int max;
    private final Counter refused;
    private final Counter timedOut;
    private volatile boolean draining;

    Connections(int max, MeterRegistry registry) {
        this.max = max;
        Gauge.builder("demo.connections.open", open, Set::size)
                .description("open HTTP connections").register(registry);
        this.refused = Counter.builder("demo.connections.refused")
                .description("connections closed at once because --max-connections were open").register(registry);
        this.timedOut = Counter.builder("demo.connections.timed.out")
                .description("connections closed by --idle-timeout-ms or --request-timeout-ms").register(registry);
    }

    /** Takes a new connection, or closes it at once (and counts it) when the limit is reached or draining. */
    boolean admit(Channel ch) {
        if (draining || open.size() >= max) {
            refused.increment();
            ch.close();
            return false;
        }
        open.add(ch); // removed when it closes
        return true;
    }

    void timedOut() {
        timedOut.increment();
    }

    boolean draining() {
        return draining;
    }

    /** Tracks a request's answer until its response has been handed to the connection ({@code written}). */
    void track(CompletableFuture<Response> answer, CompletableFuture<?> written) {
        inFlight.add(answer);
        written.whenComplete((v, e) -> {
            inFlight.remove(answer);
            if (draining && inFlight.isEmpty()) {
                drained.complete(null);
            }
        });
    }

    /**
     * Starts the drain (accepting has stopped): every later response says {@code Connection: close}, and
     * connections with no request in progress are closed now. Completes when no request is in flight.
     */
    CompletableFuture<Void> drain() {
        draining = true;
        for (Channel ch : open) {
            HttpHandler handler = ch.pipeline().get(HttpHandler.class);
            if (handler != null) {
                ch.eventLoop().execute(handler::closeIfIdle);
            }
        }
        if (inFlight.isEmpty()) {
            drained.complete(null);
        }
        return drained;
    }

    /** The grace period is over: answers every request still in flight with 503; returns how many. */
    int abortInFlight() {
        int n = 0;
        for (CompletableFuture<Response> answer : inFlight) {
            if (answer.complete(Response.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("error",
                    "shutting down: the server's grace period (--grace-ms) ended before this request finished")))) {
                n++;
            }
        }
        return n;
    }
}
