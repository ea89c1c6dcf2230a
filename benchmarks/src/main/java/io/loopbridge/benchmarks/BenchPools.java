package io.loopbridge.benchmarks;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;

/** The pool of the bridge benchmarks: two loops, daemon threads, failing the run on any loop error. */
final class BenchPools {
    static final int LOOPS = 2;

    private BenchPools() {
    }

    /** A started pool of {@value #LOOPS} loops whose every loop runs coroutines on the expected engine. */
    static LoopPool start(String name, FailFast errors, boolean expectFast) {
        LoopPool pool = LoopPool.builder().name(name).loops(LOOPS).daemon(true).exceptionHandler(errors).build();
        for (EventLoop loop : pool.loops()) {
            String loopThread = Bridge.callSoonThreadsafe(loop, () -> Thread.currentThread().getName()).join();
            String coroutineThread = Bridge.runCoroutineThreadsafe(() -> Thread.currentThread().toString(), loop).join();
            OnLoopBenchmark.checkEngine(expectFast, coroutineThread, loopThread);
        }
        return pool;
    }
}
