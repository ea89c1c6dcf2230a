package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.TimerHandle;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Timer schedule + cancel on the loop thread: {@code callLater(1 h)} then {@code cancel()}, the life of a
 * timeout that did not fire. The JMH thread runs the loop; one invocation is one {@code runForever()} whose
 * callback does {@value #BATCH} schedule+cancel pairs. {@code pendingTimers} other timers (deadlines spread
 * around the new ones', fixed seed) stay in the heap, as on a server with many live timeouts: the new timer
 * lands inside the heap, not at an empty root. Score: schedule+cancel pairs per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@State(Scope.Thread)
public class TimerBenchmark {
    static final int BATCH = 1000;
    private static final Duration DELAY = Duration.ofHours(1);

    @Param({"0", "10000"})
    public int pendingTimers;

    private final FailFast errors = new FailFast();
    private EventLoop loop;
    private Blackhole bh;
    private long fired;
    private final Runnable neverRuns = () -> fired++;
    private final Runnable scheduleAndCancel = () -> {
        for (int i = 0; i < BATCH; i++) {
            TimerHandle t = loop.callLater(DELAY, neverRuns);
            t.cancel();
            bh.consume(t);
        }
        loop.stop(); // nothing else is ready: runForever returns after this iteration
    };

    @Setup
    public void setUp() {
        loop = EventLoop.builder().name("timer-bench").exceptionHandler(errors).build();
        SplittableRandom random = new SplittableRandom(42);
        long base = loop.time() + DELAY.toNanos() / 2;
        for (int i = 0; i < pendingTimers; i++) {
            loop.callAt(base + random.nextLong(DELAY.toNanos()), neverRuns);
        }
    }

    @TearDown
    public void tearDown() {
        long heap = loop.stats().timerCount(); // as of the last iteration: cancelled timers must be gone
        loop.close();
        errors.check();
        if (fired != 0 || heap != pendingTimers) {
            throw new IllegalStateException(fired + " timers fired (expected none), " + heap
                    + " timers in the heap (expected " + pendingTimers + ")");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void scheduleCancel(Blackhole bh) {
        this.bh = bh;
        loop.callSoon(scheduleAndCancel);
        loop.runForever();
    }
}
