package io.loopbridge.benchmarks;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.Task;
import io.loopbridge.core.sync.LoopLock;
import java.time.Duration;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link LoopLock} acquire/release; one operation is one acquire and its release.
 * <ul>
 * <li>{@link #uncontended}: one task, {@value #UNCONTENDED} times per invocation; the lock is always free, so
 * nothing suspends. The lock had waiters once in {@code @Setup}, so it is bound to the loop and checks the
 * caller's loop on each call, as every lock that was ever contended does (a never-bound lock skips that check,
 * and the JIT then folds a loop of acquire/release to almost nothing).</li>
 * <li>{@link #heldAcrossYield}: {@code tasks} tasks each acquire, {@code Aio.sleep(ZERO)} while holding the
 * lock, release, {@value #CONTENDED} times in all per invocation. With {@code tasks=1} the lock is still
 * uncontended (the yield's cost alone, the baseline); with 2 or 10 every other task is queued on the lock
 * while the holder yields, so each release wakes the next waiter (a future completed, a task resumed).</li>
 * </ul>
 * A counter of critical sections, and a check that no two tasks are ever inside together, keep it honest.
 */
public abstract class LockBenchmark extends OnLoopBenchmark {
    static final int UNCONTENDED = 100_000;
    static final int CONTENDED = 10_000;

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends LockBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends LockBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    /** The number of tasks of {@link #heldAcrossYield} (a separate state, so that {@link #uncontended} runs once). */
    @State(Scope.Thread)
    public static class Contenders {
        @Param({"1", "2", "10"})
        public int tasks;
    }

    private final LoopLock lock = new LoopLock();
    private long entered;
    private boolean inside;

    private Blackhole bh;

    private final Coroutine<Void> uncontendedBatch = () -> {
        for (int i = 0; i < UNCONTENDED; i++) {
            lock.acquire();
            bh.consume(lock.isLocked());
            entered++;
            lock.release();
        }
        return null;
    };

    /** Binds the lock to the loop: two tasks contend once. */
    @Override
    void prepare() throws Exception {
        Coroutine<Void> once = yieldingWorker(1);
        loop.createTask(once);
        loop.runUntilComplete(once);
        expect(entered, 2, "critical sections in setup");
    }

    private Coroutine<Void> yieldingWorker(int turns) {
        return () -> {
            for (int i = 0; i < turns; i++) {
                lock.acquire();
                if (inside) {
                    throw new IllegalStateException("two tasks hold the lock");
                }
                inside = true;
                entered++;
                Aio.sleep(Duration.ZERO);
                inside = false;
                lock.release();
            }
            return null;
        };
    }

    @Benchmark
    @OperationsPerInvocation(UNCONTENDED)
    public void uncontended(Blackhole bh) throws Exception {
        this.bh = bh;
        long before = entered;
        loop.runUntilComplete(uncontendedBatch);
        expect(entered - before, UNCONTENDED, "critical sections");
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED)
    public void heldAcrossYield(Contenders c) throws Exception {
        long before = entered;
        int turns = CONTENDED / c.tasks; // 1, 2 and 10 divide it
        Coroutine<Void> worker = yieldingWorker(turns); // one per invocation, shared by its tasks
        Task<Void> last = null;
        for (int i = 0; i < c.tasks; i++) {
            last = loop.createTask(worker);
        }
        loop.runUntilComplete(last);
        // FIFO lock, turns taken round-robin: the last task created takes the last turn
        expect(entered - before, (long) turns * c.tasks, "critical sections");
        expect(lock.isLocked() ? 1 : 0, 0, "lock held after the batch");
    }
}
