package io.loopbridge.metrics;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopStats;
import io.loopbridge.core.spi.LoopSpi;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds one {@link EventLoop}'s counters to a Micrometer registry, tagged {@code loop=<name>} plus the given
 * tags. In the style of Micrometer's {@code ExecutorServiceMetrics}: gauges and function counters read the
 * loop's plain counters ({@link LoopStats}) at scrape time, so the loop thread never calls Micrometer; the
 * one exception is the lag timer, which the loop feeds samples (at most one submission and one timer per ms).
 *
 * <p>Meters (Prometheus names in brackets): {@code loopbridge.loop.ready} [loopbridge_loop_ready],
 * {@code .inbox}, {@code .timers}, {@code .tasks.active} gauges; {@code loopbridge.loop.tasks{outcome}}
 * [loopbridge_loop_tasks_total], {@code .callbacks}, {@code .slow.callbacks} counters;
 * {@code loopbridge.loop.busy} [loopbridge_loop_busy_seconds_total], whose rate is the loop's utilisation;
 * {@code loopbridge.loop.blocked} [loopbridge_loop_blocked_total], a counter of blocked episodes, and
 * {@code loopbridge.loop.blocked.now} [loopbridge_loop_blocked_now], a 0/1 gauge (two names: a Prometheus family
 * cannot be both a counter and a gauge), fed by a {@code LoopPool}'s watchdog;
 * {@code loopbridge.loop.lag} [loopbridge_loop_lag_seconds], a timer with a histogram (buckets 1 µs … 10 s,
 * Micrometer's default SLO-free percentile histogram) so that {@code histogram_quantile} works.
 *
 * <p>The meters are removed when the loop closes, or on {@link #close()}; binding again afterwards, to a new
 * loop of the same name, works. Thread-safe.
 */
public final class LoopMetrics implements MeterBinder, AutoCloseable {
    private final EventLoop loop;
    private final Tags tags;
    private final List<Meter> meters = new ArrayList<>();
    private MeterRegistry registry;

    public LoopMetrics(EventLoop loop, Iterable<Tag> tags) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.tags = Tags.concat(tags, "loop", loop.name());
    }

    public LoopMetrics(EventLoop loop) {
        this(loop, Tags.empty());
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (this.registry != null) {
            throw new IllegalStateException("LoopMetrics for " + loop.name() + " is already bound; close() it first");
        }
        this.registry = registry;
        LoopStats s = loop.stats();
        gauge(registry, "loopbridge.loop.ready", "Callbacks ready to run on the loop", s, LoopStats::readyCount);
        gauge(registry, "loopbridge.loop.inbox", "Thread-safe submissions not yet taken by the loop", s,
                LoopStats::inboxCount);
        gauge(registry, "loopbridge.loop.timers", "Timers scheduled on the loop", s, LoopStats::timerCount);
        gauge(registry, "loopbridge.loop.tasks.active", "Tasks created and not yet done", s,
                LoopStats::activeTasks);
        for (String outcome : new String[] {"completed", "failed", "cancelled"}) {
            ToDoubleFunction<LoopStats> f = switch (outcome) {
                case "completed" -> LoopStats::tasksCompleted;
                case "failed" -> LoopStats::tasksFailed;
                default -> LoopStats::tasksCancelled;
            };
            meters.add(FunctionCounter.builder("loopbridge.loop.tasks", s, f)
                    .description("Tasks finished on the loop, by outcome")
                    .baseUnit("tasks")
                    .tags(tags).tag("outcome", outcome)
                    .register(registry));
        }
        meters.add(FunctionCounter.builder("loopbridge.loop.callbacks", s, LoopStats::callbacks)
                .description("Callbacks and coroutine steps run by the loop")
                .baseUnit("callbacks")
                .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("loopbridge.loop.slow.callbacks", s, LoopStats::slowCallbacks)
                .description("Callbacks slower than the loop's slow-callback threshold (debug mode)")
                .baseUnit("callbacks")
                .tags(tags).register(registry));
        // Two names, since a Prometheus family cannot be both a counter and a gauge: episodes are a counter
        // (loopbridge_loop_blocked_total, for rate/increase alerts), the state a 0/1 gauge
        // (loopbridge_loop_blocked_now). Both come from the pool's watchdog; 0 without one.
        meters.add(FunctionCounter.builder("loopbridge.loop.blocked", s, LoopStats::blockedEpisodes)
                .description("Episodes of the loop being blocked by one callback longer than the watchdog's threshold")
                .tags(tags).register(registry));
        gauge(registry, "loopbridge.loop.blocked.now", "1 while the watchdog finds the loop blocked, else 0", s,
                st -> st.isBlocked() ? 1 : 0);
        meters.add(FunctionCounter.builder("loopbridge.loop.busy", s, st -> st.busyNanos() / 1e9)
                .description("Time the loop spent running callbacks; its rate is the loop's utilisation")
                .baseUnit("seconds")
                .tags(tags).register(registry));
        meters.add(FunctionCounter.builder("loopbridge.loop.io.busy", s, st -> st.ioNanos() / 1e9)
                .description("Time the loop spent processing I/O (reads, writes, channel handlers), next to loopbridge.loop.busy; 0 without I/O")
                .baseUnit("seconds")
                .tags(tags).register(registry));
        gauge(registry, "loopbridge.loop.channels", "Channels registered with the loop's I/O; 0 without I/O", s,
                LoopStats::channels);
        Timer lag = Timer.builder("loopbridge.loop.lag")
                .description("Delay from a thread-safe submission or a timer's deadline to the loop taking it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .tags(tags).register(registry);
        meters.add(lag);
        LoopSpi.setLagRecorder(loop, nanos -> lag.record(nanos, TimeUnit.NANOSECONDS));
        loop.onClose(this::close);
    }

    private void gauge(MeterRegistry registry, String name, String description, LoopStats s,
                       ToDoubleFunction<LoopStats> f) {
        meters.add(Gauge.builder(name, s, f).description(description).tags(tags).strongReference(true)
                .register(registry));
    }

    /** Removes this loop's meters from the registry and stops lag recording. Idempotent. */
    @Override
    public synchronized void close() {
        if (registry == null) {
            return;
        }
        LoopSpi.setLagRecorder(loop, null);
        for (Meter m : meters) {
            registry.remove(m);
        }
        meters.clear();
        registry = null;
    }
}
