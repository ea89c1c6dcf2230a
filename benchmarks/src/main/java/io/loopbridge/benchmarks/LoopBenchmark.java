package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
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
 * {@code callSoon} throughput on the loop thread. The JMH thread runs the loop: one invocation is one
 * {@code runForever()} in which a callback schedules {@value #BATCH} callbacks and the loop runs them on its
 * next iteration, so entering and leaving the loop is spread over the batch. Score: callbacks scheduled and
 * run per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@State(Scope.Thread)
public class LoopBenchmark {
    static final int BATCH = 1000;

    /** See {@link IoSetting}. */
    @Param({"none", "nio", "nioChannel"})
    public String io;

    private final FailFast errors = new FailFast();
    private EventLoop loop;
    private Blackhole bh;
    private long ran;
    private final Runnable tick = () -> ran++;
    private final Runnable stop = () -> loop.stop();
    private final Runnable scheduleBatch = () -> {
        for (int i = 0; i < BATCH; i++) {
            bh.consume(loop.callSoon(tick));
        }
        loop.callSoon(stop); // runs after the batch, in the same iteration: runForever returns then
    };

    private final Runnable executeBatch = () -> {
        for (int i = 0; i < BATCH; i++) {
            loop.execute(tick);
        }
        loop.callSoon(stop);
    };

    @Setup
    public void setUp() throws Exception {
        loop = IoSetting.apply(EventLoop.builder().name("callSoon-bench").exceptionHandler(errors), io).build();
        IoSetting.register(loop, io);
    }

    @TearDown
    public void tearDown() {
        loop.close();
        errors.check();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void callSoon(Blackhole bh) {
        this.bh = bh;
        runBatch(scheduleBatch);
    }

    /** The same through the {@code Executor} face: no handle to return, none made. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void execute() {
        runBatch(executeBatch);
    }

    private void runBatch(Runnable batch) {
        long before = ran;
        loop.callSoon(batch);
        loop.runForever();
        if (ran - before != BATCH) { // one comparison per batch: the score must count callbacks that ran
            throw new IllegalStateException("ran " + (ran - before) + " callbacks, expected " + BATCH);
        }
    }
}
