package io.loopbridge.metrics;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Binds every loop of a {@link LoopPool} ({@link LoopMetrics}, tagged {@code pool} and {@code loop}) and the
 * pool's bridge meters: {@code loopbridge.bridge.submitted} and {@code .rejected} [loopbridge_bridge_submitted_total,
 * ..._rejected_total], {@code loopbridge.bridge.roundtrip} [loopbridge_bridge_roundtrip_seconds, a histogram
 * from submission to the completion of its CompletableFuture, of one round trip in
 * {@value LoopPool#ROUND_TRIP_SAMPLE} chosen at random: read its quantiles, count with {@code submitted}] and
 * {@code loopbridge.pool.loops.dead}.
 *
 * <p>A loop the pool replaces ({@code replaceDeadLoops}) takes its meters along: the dead loop's are removed and
 * the replacement's bound. The meters are removed when the pool terminates or on {@link #close()}; a new pool of
 * the same name can be bound afterwards. Thread-safe.
 */
public final class LoopPoolMetrics implements MeterBinder, AutoCloseable {
    private final LoopPool pool;
    private final Tags tags;
    private final Map<EventLoop, LoopMetrics> loops = new LinkedHashMap<>();
    private final List<Meter> meters = new ArrayList<>();
    private MeterRegistry registry;

    public LoopPoolMetrics(LoopPool pool, Iterable<Tag> tags) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.tags = Tags.concat(tags, "pool", pool.name());
    }

    public LoopPoolMetrics(LoopPool pool) {
        this(pool, Tags.empty());
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (this.registry != null) {
            throw new IllegalStateException("LoopPoolMetrics for pool " + pool.name() + " is already bound");
        }
        this.registry = registry;
        for (EventLoop loop : pool.loops()) {
            bind(loop);
        }
        meters.add(FunctionCounter.builder("loopbridge.bridge.submitted", pool, LoopPool::submittedCount)
                .description("Submissions to the pool's loops from other threads")
                .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("loopbridge.bridge.rejected", pool, LoopPool::rejectedCount)
                .description("Submissions the pool refused (shut down, full, dead loop)")
                .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("loopbridge.pool.loops.dead", pool, LoopPool::deadLoopCount)
                .description("Loop threads of the pool that died").tags(tags).register(registry));
        Timer roundTrip = Timer.builder("loopbridge.bridge.roundtrip")
                .description("From a thread-safe submission to the completion of its CompletableFuture"
                        + " (one round trip in " + LoopPool.ROUND_TRIP_SAMPLE + ", at random)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .tags(tags).register(registry);
        meters.add(roundTrip);
        pool.setRoundTripRecorder(nanos -> roundTrip.record(nanos, TimeUnit.NANOSECONDS));
        pool.onLoopReplaced(this::replaced);
        pool.onTermination(this::close);
    }

    private void bind(EventLoop loop) {
        LoopMetrics m = new LoopMetrics(loop, tags);
        m.bindTo(registry);
        loops.put(loop, m);
    }

    private synchronized void replaced(EventLoop dead, EventLoop replacement) {
        if (registry == null) {
            return; // closed
        }
        LoopMetrics gone = loops.remove(dead);
        if (gone != null) {
            gone.close();
        }
        bind(replacement);
    }

    /** Removes the pool's meters and stops recording. Idempotent. */
    @Override
    public synchronized void close() {
        if (registry == null) {
            return;
        }
        pool.setRoundTripRecorder(null);
        loops.values().forEach(LoopMetrics::close);
        loops.clear();
        meters.forEach(registry::remove);
        meters.clear();
        registry = null;
    }
}
