package io.loopbridge.benchmarks;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
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
import org.openjdk.jmh.annotations.Threads;

/**
 * The bridge from platform threads (the JMH threads) into a {@value BenchPools#LOOPS}-loop {@link LoopPool}
 * whose loops run on their own threads; the coroutine is always {@code () -> 1} and every result is checked.
 * <ul>
 * <li>{@code roundTrip} / {@code roundTripLatency}: {@code Bridge.runCoroutineThreadsafe(() -> 1, loop).join()}
 * from one thread into the pool's first loop: submission, the loop's wake-up, a task created and run, the
 * future completed on the loop thread and the caller woken. Throughput, and sampled latency (JMH's
 * {@code SampleTime}: p50, p99, p99.9).</li>
 * <li>{@code poolSubmitN}: N producer threads each {@code pool.submit} {@value #BATCH} coroutines (round-robin
 * over the loops), then join the {@value #BATCH} futures. One operation is one submission completed; with
 * several threads the score is their sum.</li>
 * <li>{@code executorSubmitN}: the same through {@code pool.asExecutorService().submit(Callable)} and
 * {@code Future.get()}.</li>
 * </ul>
 * The submitter's MDC is carried into each coroutine (the bridge's default). On a 2-core machine two loop
 * threads and N producers share the cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public abstract class BridgeBenchmark {
    static final int BATCH = 1000;
    private static final Coroutine<Integer> ONE = () -> 1;
    private static final Callable<Integer> ONE_CALLABLE = () -> 1;

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends BridgeBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends BridgeBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    abstract boolean expectFast();

    private final FailFast errors = new FailFast();
    private LoopPool pool;
    private EventLoop first;
    private ExecutorService executor;

    /** One producer's futures, reused batch after batch. */
    @State(Scope.Thread)
    public static class Batch {
        final CompletableFuture<?>[] futures = new CompletableFuture<?>[BATCH];
        final Future<?>[] executorFutures = new Future<?>[BATCH];
    }

    @Setup
    public void setUp() {
        pool = BenchPools.start("bridge-bench", errors, expectFast());
        first = pool.loops().get(0);
        executor = pool.asExecutorService();
    }

    @TearDown
    public void tearDown() {
        pool.close();
        errors.check();
    }

    @Benchmark
    @Threads(1)
    public int roundTrip() {
        return check(Bridge.runCoroutineThreadsafe(ONE, first).join());
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripLatency() {
        return check(Bridge.runCoroutineThreadsafe(ONE, first).join());
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void poolSubmit1(Batch b) {
        poolSubmitBatch(b);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public void poolSubmit2(Batch b) {
        poolSubmitBatch(b);
    }

    @Benchmark
    @Threads(4)
    @OperationsPerInvocation(BATCH)
    public void poolSubmit4(Batch b) {
        poolSubmitBatch(b);
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void executorSubmit1(Batch b) throws Exception {
        executorSubmitBatch(b);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public void executorSubmit2(Batch b) throws Exception {
        executorSubmitBatch(b);
    }

    @Benchmark
    @Threads(4)
    @OperationsPerInvocation(BATCH)
    public void executorSubmit4(Batch b) throws Exception {
        executorSubmitBatch(b);
    }

    private void poolSubmitBatch(Batch b) {
        CompletableFuture<?>[] fs = b.futures;
        for (int i = 0; i < BATCH; i++) {
            fs[i] = pool.submit(ONE);
        }
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Integer) fs[i].join();
            fs[i] = null;
        }
        OnLoopBenchmark.expect(sum, BATCH, "sum of the batch's results");
    }

    private void executorSubmitBatch(Batch b) throws Exception {
        Future<?>[] fs = b.executorFutures;
        for (int i = 0; i < BATCH; i++) {
            fs[i] = executor.submit(ONE_CALLABLE);
        }
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Integer) fs[i].get();
            fs[i] = null;
        }
        OnLoopBenchmark.expect(sum, BATCH, "sum of the batch's results");
    }

    static int check(int result) {
        if (result != 1) {
            throw new IllegalStateException("the coroutine returned " + result + ", not 1");
        }
        return result;
    }
}
