package io.loopbridge.benchmarks;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import java.util.Collections;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code Aio.gather} of {@value #CHILDREN} coroutines, each of which returns at once (no suspension: the
 * figure is gather's own cost plus a task per child, comparable with
 * {@code CoroutineBenchmark.taskCreateRunComplete}). One operation is <em>one child</em>: the score divided by
 * {@value #CHILDREN} is gathers per second. Per invocation one task awaits one gather.
 */
public abstract class GatherBenchmark extends OnLoopBenchmark {
    static final int CHILDREN = 1000;

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends GatherBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends GatherBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    private long ran;
    private final Coroutine<Long> child = () -> ++ran;
    /** The same coroutine {@value #CHILDREN} times: gather makes a task of each element. */
    private final List<Coroutine<Long>> children = Collections.nCopies(CHILDREN, child);
    private final Coroutine<List<Long>> gatherAll = () -> Aio.<Long>gather(children).await();

    @Benchmark
    @OperationsPerInvocation(CHILDREN)
    public void gather1000(Blackhole bh) throws Exception {
        long before = ran;
        List<Long> results = loop.runUntilComplete(gatherAll);
        expect(results.size(), CHILDREN, "results");
        expect(ran - before, CHILDREN, "children run");
        // argument order: the children ran in creation order, so their results count up
        expect(results.get(CHILDREN - 1) - results.get(0), CHILDREN - 1, "last minus first result");
        bh.consume(results);
    }
}
