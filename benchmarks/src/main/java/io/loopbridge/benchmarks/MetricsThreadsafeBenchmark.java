package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.LoopSpi;
import io.loopbridge.metrics.LoopMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The cost of metrics on {@code callSoonThreadsafe}: {@code ThreadsafeBenchmark.oneProducer} (one producer
 * submits {@value #BATCH} callbacks, then waits until the loop has run them all; one operation is one
 * callback submitted and run) with the loop's {@link LoopMetrics} unbound ({@code metrics=false}) or bound
 * to a {@link PrometheusMeterRegistry} ({@code metrics=true}). Bound, the loop's lag recorder is on: every
 * submission is stamped with {@code System.nanoTime()} and the loop records one lag sample per iteration
 * into a timer with a percentile histogram. No coroutine is involved, so there is one engine only.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@State(Scope.Benchmark)
public class MetricsThreadsafeBenchmark {
    static final int BATCH = 1000;

    /**
     * {@code false}: unbound; {@code true}: {@link LoopMetrics} bound to a Prometheus registry. Not run by
     * default, for taking the cost apart: {@code stampsOnly} ({@code -p metrics=stampsOnly}) installs a lag
     * recorder that only counts its samples: the submission timestamps without Micrometer.
     */
    @Param({"false", "true"})
    public String metrics;

    private final FailFast errors = new FailFast();
    private EventLoop loop;
    private Thread loopThread;
    private PrometheusMeterRegistry registry;
    private LoopMetrics bound;
    private long stampOnlySamples; // loop thread only

    // The producer's bookkeeping (one producer: no per-thread state needed). ran is written by the loop only.
    private volatile long ran;
    private long target;
    private Thread waiter;
    private final Runnable tick = this::tick;

    private void tick() {
        long r = ran + 1;
        ran = r;
        if (r == target) {
            LockSupport.unpark(waiter);
        }
    }

    @Setup
    public void startLoop() {
        loop = EventLoop.builder().name("metrics-bench").exceptionHandler(errors).build();
        switch (metrics) {
            case "false" -> { }
            case "true" -> {
                registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                bound = new LoopMetrics(loop);
                bound.bindTo(registry);
            }
            case "stampsOnly" -> LoopSpi.setLagRecorder(loop, nanos -> stampOnlySamples++);
            default -> throw new IllegalArgumentException("metrics: false, true or stampsOnly, not " + metrics);
        }
        loopThread = Thread.ofPlatform().name("metrics-bench-loop").daemon(true).start(loop::runForever);
    }

    @TearDown
    public void closeLoop() throws InterruptedException {
        loop.callSoonThreadsafe(loop::stop);
        loopThread.join();
        // The recorder really ran: a benchmark of metrics that recorded nothing would measure nothing.
        long samples = switch (metrics) {
            case "true" -> registry.get("loopbridge.loop.lag").timer().count();
            case "stampsOnly" -> stampOnlySamples; // the loop thread has ended: its writes are visible
            default -> -1;
        };
        if (samples == 0) {
            throw new IllegalStateException("metrics=" + metrics + ", but no lag sample was recorded");
        }
        if (bound != null) {
            bound.close();
        }
        loop.close();
        errors.check();
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void oneProducer(Blackhole bh) {
        long t = ran + BATCH; // the loop has run everything we submitted before: ran is stable
        target = t;
        waiter = Thread.currentThread();
        for (int i = 0; i < BATCH; i++) {
            bh.consume(loop.callSoonThreadsafe(tick));
        }
        while (ran != t) {
            // Unparked by our last callback; the timeout only turns a dead loop into a failure, not a hang.
            LockSupport.parkNanos(this, 10_000_000L);
            if (!loopThread.isAlive()) {
                throw new IllegalStateException("the loop thread died");
            }
        }
    }
}
