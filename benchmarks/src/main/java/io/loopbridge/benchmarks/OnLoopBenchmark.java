package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Base of the benchmarks of coroutines on one loop that the JMH thread runs ({@link GatherBenchmark},
 * {@link QueueBenchmark}, {@link LockBenchmark}), as {@link CoroutineBenchmark} does: each invocation is one
 * {@code runUntilComplete} doing a batch. Each subclass has a {@code Fast} and a {@code Fallback} subclass
 * whose {@code @Fork} picks the engine; {@link #setUp()} checks the fork really runs the engine its name says.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public abstract class OnLoopBenchmark {
    private final FailFast errors = new FailFast();
    EventLoop loop;

    abstract boolean expectFast();

    /** Called by {@link #setUp()} once the loop exists (one {@code @Setup} only: JMH does not order several). */
    void prepare() throws Exception {
    }

    @Setup
    public final void setUp() throws Exception {
        loop = EventLoop.builder().name(getClass().getSimpleName()).exceptionHandler(errors).build();
        String coroutineThread = loop.runUntilComplete(() -> Thread.currentThread().toString());
        checkEngine(expectFast(), coroutineThread, Thread.currentThread().getName());
        prepare();
    }

    @TearDown
    public final void tearDown() {
        loop.close();
        errors.check();
    }

    /**
     * The fast engine mounts a task's virtual thread on its loop's own thread, and a mounted virtual thread's
     * toString names its carrier. Fails rather than report one engine's figures under the other's name.
     */
    static void checkEngine(boolean expectFast, String coroutineThread, String loopThread) {
        boolean fast = coroutineThread.endsWith("@" + loopThread);
        if (fast != expectFast) {
            throw new IllegalStateException("expected the " + (expectFast ? "fast" : "fallback")
                    + " engine, but a coroutine runs as " + coroutineThread + " (loop thread: " + loopThread + ")");
        }
    }

    static void expect(long actual, long expected, String what) {
        if (actual != expected) {
            throw new IllegalStateException(what + ": " + actual + ", expected " + expected);
        }
    }
}
