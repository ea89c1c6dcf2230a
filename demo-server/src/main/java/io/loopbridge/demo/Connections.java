package io.loopbridge.demo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The server's open connections: the connection limit, the timeout and refusal counters, and the graceful
 * drain on shutdown, which asks each connection's {@link HttpHandler} on the connection's own loop.
 */
final class Connections {
    private final ChannelGroup open = new DefaultChannelGroup("demo-connections", GlobalEventExecutor.INSTANCE);
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

    /**
     * Takes a new connection, or closes it at once (and counts it) when the limit is reached or draining.
     * Synchronised with {@link #drain()}: a connection is either refused or seen by the drain.
     */
    synchronized boolean admit(Channel ch) {
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

    /**
     * Starts the drain (accepting has stopped): connections with no request in progress are closed now, the
     * others close after their last answer ({@code Connection: close}). Completes when no request read is
     * still unwritten.
     */
    CompletableFuture<Void> drain() {
        List<CompletableFuture<Void>> each;
        synchronized (this) {
            draining = true;
            each = onEachConnection(HttpHandler::drain);
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }

    /** The grace period is over: answers every request still in flight with 503; returns how many. */
    int abortInFlight() {
        int n = 0;
        for (CompletableFuture<Integer> answered : onEachConnection(h -> CompletableFuture.completedFuture(h.abort()))) {
            Integer each = answered.join();
            n += each == null ? 0 : each;
        }
        return n;
    }

    /** Runs {@code action} on each open connection's loop, with its handler. */
    private <T> List<CompletableFuture<T>> onEachConnection(Function<HttpHandler, CompletableFuture<T>> action) {
        List<CompletableFuture<T>> results = new ArrayList<>();
        for (Channel ch : open) {
            results.add(CompletableFuture.supplyAsync(() -> {
                HttpHandler handler = ch.pipeline().get(HttpHandler.class);
                return handler == null ? CompletableFuture.<T>completedFuture(null) : action.apply(handler);
            }, ch.eventLoop()).thenCompose(Function.identity()));
        }
        return results;
    }
}
