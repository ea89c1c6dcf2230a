package io.loopbridge.benchmarks;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Coroutine costs under each engine: {@link Fast} runs in a JVM with
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}, {@link Fallback} with {@code -Dloopbridge.engine=fallback}
 * (the engine is chosen once per JVM, hence one fork configuration each). The JMH thread runs the loop; each
 * invocation is one {@code runUntilComplete} doing a batch of operations, so running the loop (and, for the
 * coroutine benchmarks, creating the one task that loops) is spread over the batch. Scores: operations per
 * second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public abstract class CoroutineBenchmark {
    static final int TASKS = 1000;
    static final int AWAITS = 1_000_000;
    static final int YIELDS = 10_000;

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends CoroutineBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends CoroutineBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    abstract boolean expectFast();

    private final FailFast errors = new FailFast();
    private EventLoop loop;
    private LoopFuture<Long> done;
    private Blackhole bh;
    private long ran;

    private final Coroutine<Long> trivial = () -> ++ran;

    private final Coroutine<Void> awaitDoneBatch = () -> {
        for (int i = 0; i < AWAITS; i++) {
            bh.consume(done.await());
        }
        return null;
    };

    private final Coroutine<Void> sleepZeroBatch = () -> {
        for (int i = 0; i < YIELDS; i++) {
            Aio.sleep(Duration.ZERO);
        }
        return null;
    };

    @Setup
    public void setUp() throws Exception {
        loop = EventLoop.builder().name("coroutine-bench").exceptionHandler(errors).build();
        done = loop.createFuture();
        done.setResult(42L);
        // The fast engine mounts a task's virtual thread on the loop's own thread: a mounted virtual thread's
        // toString names its carrier. Fail rather than report one engine's figures under the other's name.
        String loopThread = Thread.currentThread().getName();
        String coroutineThread = loop.runUntilComplete(() -> Thread.currentThread().toString());
        boolean fast = coroutineThread.endsWith("@" + loopThread);
        if (fast != expectFast()) {
            throw new IllegalStateException("expected the " + (expectFast() ? "fast" : "fallback")
                    + " engine, but a coroutine runs as " + coroutineThread + " (loop thread: " + loopThread + ")");
        }
    }

    @TearDown
    public void tearDown() {
        loop.close();
        errors.check();
    }

    /** createTask of a coroutine that returns at once, run to completion: {@value #TASKS} per invocation. */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void taskCreateRunComplete(Blackhole bh) throws Exception {
        long before = ran;
        Task<Long> last = null;
        for (int i = 0; i < TASKS; i++) {
            last = loop.createTask(trivial);
            bh.consume(last);
        }
        bh.consume(loop.runUntilComplete(last)); // FIFO: the last task done means all of them are
        if (ran - before != TASKS) {
            throw new IllegalStateException("ran " + (ran - before) + " coroutines, expected " + TASKS);
        }
    }

    /** {@code done.await()} on an already-done future inside one coroutine: {@value #AWAITS} per invocation. */
    @Benchmark
    @OperationsPerInvocation(AWAITS)
    public void awaitDone(Blackhole bh) throws Exception {
        this.bh = bh;
        loop.runUntilComplete(awaitDoneBatch);
    }

    /**
     * {@code Aio.sleep(Duration.ZERO)} inside one coroutine: one suspend and resume through the loop's ready
     * queue (a loop iteration each): {@value #YIELDS} per invocation.
     */
    @Benchmark
    @OperationsPerInvocation(YIELDS)
    public void sleepZeroRoundTrip() throws Exception {
        loop.runUntilComplete(sleepZeroBatch);
    }
}
