package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.core.Aio;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults are contained: a callback or coroutine that overflows its stack or throws an error, a loop thread
 * killed by a fatal error, an executor that rejects, a CompletableFuture dependent that throws on the loop
 * thread. Each is reported or fails only its own future; the pool serves on; nothing is left pending.
 * {@code -Dloopbridge.faults.seeds=500 -Dloopbridge.faults.ops=200 -Dloopbridge.faults.seconds=600} makes the
 * random run bigger; {@code -Dloopbridge.faults.seed=N} replays a failed seed (the failure prints it).
 */
@Timeout(120)
class FaultInjectionTest {
    private static final long T = 10;
    private static final int SEEDS = Integer.getInteger("loopbridge.faults.seeds", 20);
    private static final int OPS_PER_THREAD = Integer.getInteger("loopbridge.faults.ops", 40);
    private static final int THREADS = 8;

    /** Not a VirtualMachineError: a loop reports it and goes on. */
    static final class InjectedError extends Error {
        InjectedError(String message) {
            super(message);
        }
    }

    // ---- each fault alone ---------------------------------------------------------------------------

    @Test
    void aCallbackThatOverflowsItsStackIsReportedAndItsLoopServesOn() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        try (LoopPool pool = LoopPool.builder().loops(2).exceptionHandler((l, c) -> reports.add(c)).build()) {
            EventLoop loop = pool.loops().getFirst();
            CountDownLatch after = new CountDownLatch(1);
            loop.callSoonThreadsafe(() -> recurse(0));
            loop.callSoonThreadsafe(after::countDown);
            assertThat(after.await(T, TimeUnit.SECONDS)).isTrue();
            assertThat(reports).singleElement().satisfies(c -> assertThat(c.exception()).isInstanceOf(StackOverflowError.class));
            assertThat(pool.deadLoopCount()).isZero();
            assertThat(Bridge.callSoonThreadsafe(loop, () -> "pong").get(T, TimeUnit.SECONDS)).isEqualTo("pong");
        }
    }

    @Test
    void aCoroutineThatOverflowsItsStackOrThrowsAnErrorFailsOnlyItsFuture() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(1).build()) {
            CompletableFuture<Integer> soe = pool.submit(() -> recurse(0));
            OutOfMemoryError oom = new OutOfMemoryError("injected");
            CompletableFuture<Integer> oome = pool.submit(() -> {
                Aio.sleep(Duration.ZERO);
                throw oom;
            });
            assertThat(catchThrowable(() -> soe.get(T, TimeUnit.SECONDS))).cause().isInstanceOf(StackOverflowError.class);
            assertThat(catchThrowable(() -> oome.get(T, TimeUnit.SECONDS))).cause().isSameAs(oom);
            assertThat(pool.submit(() -> 7).get(T, TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(pool.deadLoopCount()).isZero();
        }
    }

    @Test
    void anErrorInACallbackIsReportedUnlessItIsFatal() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        try (LoopPool pool = LoopPool.builder().loops(2).name("errs").exceptionHandler((l, c) -> reports.add(c)).build()) {
            EventLoop survivor = pool.loops().get(0);
            EventLoop doomed = pool.loops().get(1);
            InjectedError injected = new InjectedError("not fatal");
            survivor.callSoonThreadsafe(() -> {
                throw injected;
            });
            assertThat(Bridge.callSoonThreadsafe(survivor, () -> "pong").get(T, TimeUnit.SECONDS)).isEqualTo("pong");
            assertThat(reports).anySatisfy(c -> assertThat(c.exception()).isSameAs(injected));

            CompletableFuture<String> pending = Bridge.runCoroutineThreadsafe(() -> Aio.sleep(Duration.ofHours(1), "late"), doomed);
            OutOfMemoryError fatal = new OutOfMemoryError("injected");
            doomed.callSoonThreadsafe(() -> {
                throw fatal;
            });
            assertThat(catchThrowable(() -> pending.get(T, TimeUnit.SECONDS))).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("errs-loop-1").cause().isSameAs(fatal);
            assertThat(pool.deadLoopCount()).isEqualTo(1);
            assertThat(reports).anySatisfy(c -> assertThat(c.exception()).isSameAs(fatal));
            assertThat(pool.loops()).containsExactly(survivor);
            assertThat(pool.submit(() -> 7).get(T, TimeUnit.SECONDS)).isEqualTo(7);
        }
    }

    @Test
    void aRejectingExecutorFailsTheCoroutineThatUsedIt() throws Exception {
        Executor rejecting = r -> {
            throw new RejectedExecutionException("injected: full");
        };
        try (LoopPool pool = LoopPool.builder().loops(1).build()) {
            CompletableFuture<Integer> f = pool.submit(() -> Bridge.runInExecutor(rejecting, () -> 1).await());
            assertThat(catchThrowable(() -> f.get(T, TimeUnit.SECONDS))).cause()
                    .isInstanceOf(RejectedExecutionException.class).hasMessage("injected: full");
            assertThat(pool.submit(() -> Bridge.toThread(() -> 2).await()).get(T, TimeUnit.SECONDS)).isEqualTo(2);
        }
    }

    @Test
    void aCompletableFutureDependentThatThrowsOnTheLoopThreadFailsOnlyItself() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        try (LoopPool pool = LoopPool.builder().loops(1).exceptionHandler((l, c) -> reports.add(c)).build()) {
            EventLoop loop = pool.loops().getFirst();
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Integer> source = pool.submit(() -> {
                Bridge.wrapFuture(CompletableFuture.runAsync(() -> Waits.await(go))).await();
                return 1;
            });
            Thread[] ranOn = new Thread[1];
            CompletableFuture<Integer> dependent = source.thenApply(x -> {
                ranOn[0] = Thread.currentThread();
                throw new InjectedError("dependent");
            });
            CompletableFuture<Integer> overflowing = source.thenApply(FaultInjectionTest::recurse);
            go.countDown();
            // Not source.get() first: a thread returning from get() helps run pending dependents itself.
            assertThat(catchThrowable(() -> dependent.get(T, TimeUnit.SECONDS))).cause().isInstanceOf(InjectedError.class);
            assertThat(catchThrowable(() -> overflowing.get(T, TimeUnit.SECONDS))).cause().isInstanceOf(StackOverflowError.class);
            assertThat(source.get(T, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(ranOn[0]).as("the dependent ran on the loop thread").isSameAs(loop.thread());
            assertThat(pool.submit(() -> 7).get(T, TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(reports).isEmpty();
        }
    }

    // ---- random faults while 8 threads submit ------------------------------------------------------

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // bounded by loopbridge.faults.seconds (25 s) unless a big run asks
    void randomFaultsWhileEightThreadsSubmit() throws Exception {
        long base = Long.getLong("loopbridge.faults.seed", System.nanoTime());
        // A time budget as well as a seed count: CI stays bounded however slow the host is.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("loopbridge.faults.seconds", 25));
        for (int i = 0; i < SEEDS && System.nanoTime() - deadline < 0; i++) {
            long seed = base + i;
            try {
                oneRun(seed);
            } catch (Throwable e) {
                throw new AssertionError("fault-injection run failed with seed " + seed
                        + " (rerun: -Dloopbridge.faults.seed=" + seed + ")", e);
            }
        }
    }

    private enum Op { WORK, WORK_CANCELLED, SOE_CALLBACK, SOE_COROUTINE, ERROR_CALLBACK, KILL_LOOP, OOM_COROUTINE, REJECTING_EXECUTOR, THROWING_DEPENDENT }

    private static final class Tally {
        final ConcurrentLinkedQueue<CompletableFuture<?>> futures = new ConcurrentLinkedQueue<>();
        /** Futures derived from the pool's (thenApply): not submissions, but they must complete too. */
        final ConcurrentLinkedQueue<CompletableFuture<?>> dependents = new ConcurrentLinkedQueue<>();
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        /** Raw callbacks (not bridge submissions) accepted by a loop, and those of them dropped by a dying loop. */
        final AtomicLong callbacks = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong kills = new AtomicLong();
    }

    private void oneRun(long seed) throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        Tally tally = new Tally();
        try (LoopPool pool = LoopPool.builder().loops(3).name("faults").replaceDeadLoops(true)
                .closeGrace(Duration.ZERO).exceptionHandler((l, c) -> reports.add(c)).build()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < THREADS; t++) {
                Random rnd = new Random(seed * 31 + t);
                threads.add(Thread.ofPlatform().name("submitter-" + t).start(() -> {
                    Waits.await(start);
                    try {
                        for (int k = 0; k < OPS_PER_THREAD; k++) {
                            step(pool, rnd, tally);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(T));
                assertThat(t.isAlive()).as("submitter %s finished", t.getName()).isFalse();
            }
            assertThat(unexpected).isEmpty();

            // Every future completes, and the outcomes add up.
            long completed = 0, failed = 0, cancelled = 0;
            for (CompletableFuture<?> f : tally.futures) {
                try {
                    f.get(T, TimeUnit.SECONDS);
                    completed++;
                } catch (CancellationException e) {
                    cancelled++;
                } catch (ExecutionException e) {
                    failed++;
                }
            }
            for (CompletableFuture<?> d : tally.dependents) {
                assertThat(catchThrowable(() -> d.get(T, TimeUnit.SECONDS))).isInstanceOf(ExecutionException.class);
            }
            long handedOut = tally.futures.size();
            assertThat(completed + failed + cancelled).isEqualTo(handedOut);
            assertThat(handedOut + tally.rejected.get() + tally.callbacks.get()).isEqualTo(tally.attempts.get());
            assertThat(pool.submittedCount()).as("pool's submitted = futures handed out").isEqualTo(handedOut);
            assertThat(pool.rejectedCount()).as("pool's rejected = rejections seen").isEqualTo(tally.rejected.get());
            // Raw callbacks: each ran (and its fault was reported) or was dropped by a dying loop.
            awaitReports(reports, tally);
            assertThat(pool.deadLoopCount()).isEqualTo(count(reports, OutOfMemoryError.class));
            assertThat(pool.deadLoopCount()).isLessThanOrEqualTo(tally.kills.get());

            // The pool still answers on every live loop.
            // A dead loop's thread reports, closes its loop, then starts the replacement: wait for the last one.
            Waits.awaitTrue(() -> pool.loops().size() == 3, "every dead loop is replaced");
            for (EventLoop loop : pool.loops()) {
                assertThat(Bridge.callSoonThreadsafe(loop, () -> "pong").get(T, TimeUnit.SECONDS)).isEqualTo("pong");
            }
        }
    }

    private static void awaitReports(ConcurrentLinkedQueue<ErrorContext> reports, Tally tally) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (true) {
            long faultsRun = count(reports, StackOverflowError.class) + count(reports, InjectedError.class)
                    + count(reports, OutOfMemoryError.class);
            if (faultsRun + tally.dropped.get() == tally.callbacks.get()) {
                return;
            }
            assertThat(System.nanoTime() - deadline).as("reports %s + dropped %s = callbacks %s", faultsRun,
                    tally.dropped.get(), tally.callbacks.get()).isNegative();
            Thread.sleep(5); // bounded polling: the last report may still be on its way from a loop thread
        }
    }

    private static long count(ConcurrentLinkedQueue<ErrorContext> reports, Class<? extends Throwable> type) {
        return reports.stream().filter(c -> type.isInstance(c.exception())).count();
    }

    private static void step(LoopPool pool, Random rnd, Tally tally) {
        int r = rnd.nextInt(100);
        Op op = r < 60 ? Op.WORK : r < 70 ? Op.WORK_CANCELLED : Op.values()[2 + rnd.nextInt(Op.values().length - 2)];
        if (op == Op.KILL_LOOP && rnd.nextInt(4) != 0) {
            op = Op.WORK; // kills are rarer: each costs a loop thread
        }
        tally.attempts.incrementAndGet();
        try {
            switch (op) {
                case WORK -> {
                    long nanos = rnd.nextInt(500_000);
                    tally.futures.add(pool.submit(() -> Aio.sleep(Duration.ofNanos(nanos), nanos)));
                }
                case WORK_CANCELLED -> {
                    CompletableFuture<String> f = pool.submit(() -> Aio.sleep(Duration.ofMillis(50), "slow"));
                    tally.futures.add(f);
                    f.cancel(true);
                }
                case SOE_COROUTINE -> tally.futures.add(pool.submit(() -> recurse(0)));
                case OOM_COROUTINE -> tally.futures.add(pool.submit(() -> {
                    throw new OutOfMemoryError("injected into a coroutine");
                }));
                case REJECTING_EXECUTOR -> tally.futures.add(pool.submit(() -> Bridge.runInExecutor(x -> {
                    throw new RejectedExecutionException("injected");
                }, () -> 1).await()));
                case THROWING_DEPENDENT -> {
                    CompletableFuture<Integer> f = pool.submit(() -> {
                        Aio.sleep(Duration.ZERO);
                        return 1;
                    });
                    tally.futures.add(f);
                    tally.dependents.add(f.thenApply(x -> {
                        throw new InjectedError("dependent"); // runs on the loop thread unless f is done already
                    }));
                }
                case SOE_CALLBACK -> callback(pool, tally, () -> recurse(0));
                case ERROR_CALLBACK -> callback(pool, tally, () -> {
                    throw new InjectedError("injected into a callback");
                });
                case KILL_LOOP -> {
                    tally.kills.incrementAndGet();
                    callback(pool, tally, () -> {
                        throw new OutOfMemoryError("injected: kills the loop thread");
                    });
                }
            }
        } catch (RejectedExecutionException e) {
            // the chosen loop died meanwhile (or was found dead): a rejection at the call, counted
            tally.rejected.incrementAndGet();
        }
    }

    /** A raw callback on a live loop: exactly one of it (reported by the loop) or its drop runs. */
    private static void callback(LoopPool pool, Tally tally, Runnable faulty) {
        EventLoop loop = pool.next(); // a rejection here is the pool's, counted by the caller
        try {
            loop.callSoonThreadsafe(faulty, tally.dropped::incrementAndGet);
        } catch (RejectedExecutionException closed) {
            // the loop died between next() and the call: not a pool submission, so not a pool rejection
            tally.attempts.decrementAndGet();
            return;
        }
        tally.callbacks.incrementAndGet();
    }

    static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }
}
