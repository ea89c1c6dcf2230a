package io.loopbridge.benchmarks;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.LoopSpi;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The cost of metrics on the bridge's round trip: {@code BridgeBenchmark.roundTrip} and
 * {@code roundTripLatency} ({@code Bridge.runCoroutineThreadsafe(() -> 1, loop).join()} from one platform
 * thread into the first loop of a {@value BenchPools#LOOPS}-loop pool) with {@link LoopPoolMetrics} unbound
 * ({@code metrics=false}) or bound to a {@link PrometheusMeterRegistry} ({@code metrics=true}). Bound, each
 * loop's lag recorder is on (a {@code nanoTime} per submission, one histogram sample per loop iteration) and
 * the pool's round-trip timer records every submission (a {@code nanoTime} at submission and at completion,
 * and a histogram sample on the loop thread).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public abstract class MetricsRoundTripBenchmark {
    private static final Coroutine<Integer> ONE = () -> 1;

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends MetricsRoundTripBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends MetricsRoundTripBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    abstract boolean expectFast();

    /**
     * {@code false}: unbound; {@code true}: {@link LoopPoolMetrics} bound to a Prometheus registry. Not run by
     * default, for taking the cost apart: {@code stampsOnly} ({@code -p metrics=stampsOnly}) installs lag and
     * round-trip recorders that only count: the timestamps without Micrometer.
     */
    @Param({"false", "true"})
    public String metrics;

    private final FailFast errors = new FailFast();
    private LoopPool pool;
    private EventLoop first;
    private Timer roundTripTimer;
    private long roundTrips;
    private long stampOnlyRoundTrips; // the first loop's thread only

    @Setup
    public void setUp() {
        pool = BenchPools.start("metrics-bench", errors, expectFast());
        first = pool.loops().get(0);
        switch (metrics) {
            case "false" -> { }
            case "true" -> {
                PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                new LoopPoolMetrics(pool).bindTo(registry); // closed by the pool's termination
                roundTripTimer = registry.get("loopbridge.bridge.roundtrip").timer();
            }
            case "stampsOnly" -> {
                for (EventLoop loop : pool.loops()) {
                    LoopSpi.setLagRecorder(loop, nanos -> { });
                }
                pool.setRoundTripRecorder(nanos -> stampOnlyRoundTrips++);
            }
            default -> throw new IllegalArgumentException("metrics: false, true or stampsOnly, not " + metrics);
        }
    }

    @TearDown
    public void tearDown() {
        pool.close(); // after it, every completion has been recorded (the loop records after completing)
        errors.check();
        // A benchmark of metrics that recorded nothing would measure nothing.
        long recorded = switch (metrics) {
            case "true" -> roundTripTimer.count();
            case "stampsOnly" -> stampOnlyRoundTrips; // the loop threads have ended: their writes are visible
            default -> roundTrips;
        };
        // One round trip in LoopPool.ROUND_TRIP_SAMPLE is timed, at random: about that share must be.
        long expected = metrics.equals("false") ? roundTrips : roundTrips / LoopPool.ROUND_TRIP_SAMPLE;
        if (recorded < expected / 2 || recorded > roundTrips) {
            throw new IllegalStateException("metrics=" + metrics + ", but " + recorded + " of " + roundTrips
                    + " round trips were recorded (expected about " + expected + ")");
        }
    }

    @Benchmark
    @Threads(1)
    public int roundTrip() {
        roundTrips++;
        return BridgeBenchmark.check(Bridge.runCoroutineThreadsafe(ONE, first).join());
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripLatency() {
        roundTrips++;
        return BridgeBenchmark.check(Bridge.runCoroutineThreadsafe(ONE, first).join());
    }
}
