package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.testing.ReportedErrors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The invariant that matters most: every CompletableFuture handed out completes, with the right outcome,
 * while submitters race a pool shutdown at a random moment. 8 submitter threads, 20 seeds; the calls per
 * thread are scaled down for CI, {@code -Dloopbridge.stress.full=true} runs the issue's 100,000 per thread.
 * {@code -Dloopbridge.stress.seed=N} replays a run (seeds N..N+19).
 */
@Timeout(600)
class BridgeInvariantTest {
    static final boolean FULL = Boolean.getBoolean("loopbridge.stress.full");
    static final int THREADS = 8;
    static final int SEEDS = 20;
    static final int CALLS = Integer.getInteger("loopbridge.stress.calls", FULL ? 100_000 : 3_000);

    enum Kind { RETURN, THROW, SLEEP, SELF_CANCEL, CALLER_CANCEL, CALLER_TIMEOUT }

    /** One submission: what was asked, and the future (null if rejected at the call). */
    record Call(Kind kind, int expected, Throwable thrown, Future<Integer> future, boolean cancelAccepted) {
    }

    @Test
    void runCoroutineThreadsafeFuturesAllCompleteWhilePoolShutsDown() throws Exception {
        stress(false);
    }

    @Test
    void executorServiceFuturesAllCompleteWhilePoolShutsDown() throws Exception {
        stress(true);
    }

    /**
     * A loop of one's own (no pool: no drain, no refusal) stopped and closed at a random moment under 4
     * submitters: what was accepted completes (a result, a cancellation of the destroyed task, or a
     * rejection because the loop closed first); the rest is refused at the call.
     */
    @Test
    void submissionsRacingALoopsCloseAllComplete() throws Exception {
        long base = Long.getLong("loopbridge.stress.seed", System.nanoTime());
        for (int s = 0; s < SEEDS; s++) {
            long seed = base + s;
            Random master = new Random(mix(seed));
            RunningLoop rl = new RunningLoop();
            ReportedErrors reports = new ReportedErrors();
            rl.loop.setExceptionHandler(reports);
            int perThread = CALLS / 2;
            long closeAt = (long) (master.nextDouble() * 4 * perThread);
            AtomicLong submitted = new AtomicLong();
            CompletableFuture<Void> reached = new CompletableFuture<>();
            List<List<CompletableFuture<Integer>>> perThreadFutures = new ArrayList<>();
            List<Thread> submitters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                List<CompletableFuture<Integer>> fs = new ArrayList<>();
                perThreadFutures.add(fs);
                Random rnd = new Random(mix(seed * 31 + i));
                submitters.add(Thread.ofPlatform().start(() -> {
                    for (int k = 0; k < perThread; k++) {
                        if (submitted.incrementAndGet() >= closeAt) {
                            reached.complete(null);
                        }
                        int v = k;
                        try {
                            fs.add(switch (rnd.nextInt(3)) {
                                case 0 -> Bridge.callSoonThreadsafe(rl.loop, () -> v);
                                case 1 -> Bridge.runCoroutineThreadsafe(() -> v, rl.loop);
                                default -> Bridge.runCoroutineThreadsafe(() -> Aio.sleep(Duration.ofMillis(1), v), rl.loop);
                            });
                        } catch (RejectedExecutionException closed) {
                            assertThat(rl.loop.isClosed()).isTrue();
                        }
                    }
                }));
            }
            reached.get(60, TimeUnit.SECONDS);
            rl.close();
            for (Thread t : submitters) {
                t.join(60_000);
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(rl.thread.isAlive()).isFalse();
            int cancelled = 0;
            for (List<CompletableFuture<Integer>> fs : perThreadFutures) {
                for (CompletableFuture<Integer> f : fs) {
                    assertThat(f.isDone()).as("seed %d: a future accepted by the loop completes by its close", seed).isTrue();
                    Throwable failure = f.handle((v, e) -> e).join();
                    if (failure instanceof CancellationException) {
                        cancelled++;
                    } else if (failure != null) {
                        assertThat(failure).as("seed %d", seed).isInstanceOf(RejectedExecutionException.class);
                    }
                }
            }
            // What a user sees of the close: each task it destroyed is reported once, and its future is the
            // one cancelled (nothing else cancels here).
            assertThat(reports.messages()).as("seed %d: the loop's reports", seed)
                    .allSatisfy(m -> assertThat(m).isEqualTo(ReportedErrors.DESTROYED_PENDING));
            assertThat(reports.all()).as("seed %d: one report per destroyed task", seed)
                    .allSatisfy(c -> assertThat(c.future()).isInstanceOf(Task.class).matches(LoopFuture::isCancelled, "cancelled"))
                    .extracting(ErrorContext::future).doesNotHaveDuplicates();
            assertThat(reports.all()).as("seed %d: destroyed tasks vs cancelled futures", seed).hasSize(cancelled);
        }
    }

    private void stress(boolean viaExecutorService) throws Exception {
        long base = Long.getLong("loopbridge.stress.seed", System.nanoTime());
        long t0 = System.nanoTime();
        long[] totals = new long[6];
        for (int s = 0; s < SEEDS; s++) {
            long seed = base + s;
            try {
                long[] counts = runSeed(seed, viaExecutorService);
                for (int i = 0; i < totals.length; i++) {
                    totals[i] += counts[i];
                }
            } catch (Throwable e) {
                throw new AssertionError("failed with seed " + seed + " (replay: -Dloopbridge.stress.seed=" + seed
                        + ")", e);
            }
        }
        System.out.printf("invariant %s: %d seeds from %d, %d threads x %d calls: value=%d failed=%d cancelled=%d"
                        + " timedOut=%d rejected=%d loopDied=%d in %d ms (engine %s)%n",
                viaExecutorService ? "asExecutorService" : "runCoroutineThreadsafe", SEEDS, base, THREADS, CALLS,
                totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], (System.nanoTime() - t0) / 1_000_000,
                System.getProperty("loopbridge.expectedEngine"));
    }

    /** Returns counts: value, failed, cancelled, timed out, rejected, loop died. */
    private long[] runSeed(long seed, boolean viaExecutorService) throws Exception {
        Random master = new Random(mix(seed)); // neighbouring seeds must not give neighbouring moments
        String name = "inv" + seed;
        // Half the seeds also kill a loop thread at a random moment (an Error escaping a callback).
        boolean killALoop = master.nextBoolean();
        AtomicLong deaths = new AtomicLong();
        LoopPool pool = LoopPool.builder().loops(2).name(name).daemon(true)
                .replaceDeadLoops(master.nextBoolean())
                .exceptionHandler((loop, ctx) -> {
                    if (ctx.exception() instanceof InternalError) {
                        deaths.incrementAndGet();
                    } // destroyed-task reports are expected here: quiet
                })
                .cancellationTimeout(Duration.ofSeconds(10)).build();
        io.loopbridge.core.EventLoop victim = pool.loops().get(0);
        long killAt = killALoop ? (long) (master.nextDouble() * (long) THREADS * CALLS) : -1;
        ExecutorService es = pool.asExecutorService();
        long total = (long) THREADS * CALLS;
        long shutdownAt = (long) (master.nextDouble() * total * 1.1); // sometimes after the last call
        long graceMicros = master.nextInt(3) == 0 ? 0 : master.nextInt(3_000);
        boolean gracefulFirst = master.nextBoolean(); // executor service: shutdown() then shutdownNow()
        AtomicLong submitted = new AtomicLong();
        AtomicReference<Throwable> submitterFailure = new AtomicReference<>();
        Runnable shutdown = () -> {
            if (viaExecutorService) {
                if (gracefulFirst) {
                    es.shutdown();
                }
                pool.shutdownGracefully(Duration.ofNanos(graceMicros * 1000));
            } else {
                pool.shutdownGracefully(Duration.ofNanos(graceMicros * 1000));
            }
        };

        List<List<Call>> perThread = new ArrayList<>();
        List<Thread> submitters = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            List<Call> calls = new ArrayList<>(CALLS);
            perThread.add(calls);
            Random rnd = new Random(mix(seed * 31 + i));
            submitters.add(Thread.ofPlatform().name(name + "-submitter-" + i).start(() -> {
                try {
                    for (int k = 0; k < CALLS; k++) {
                        long n = submitted.incrementAndGet();
                        if (n == shutdownAt) {
                            shutdown.run();
                        }
                        if (n == killAt) {
                            try {
                                victim.callSoonThreadsafe(() -> {
                                    throw new InternalError("injected death of " + victim.name());
                                });
                            } catch (RejectedExecutionException alreadyClosed) {
                                // the shutdown got there first
                            }
                        }
                        calls.add(submitOne(pool, es, viaExecutorService, rnd, k));
                    }
                } catch (Throwable e) {
                    submitterFailure.set(e);
                }
            }));
        }
        for (Thread t : submitters) {
            t.join(TimeUnit.SECONDS.toMillis(120));
            assertThat(t.isAlive()).as("submitter %s finished", t.getName()).isFalse();
        }
        assertThat(submitterFailure.get()).isNull();
        shutdown.run(); // when the random moment came after the last call
        pool.terminationFuture().get(60, TimeUnit.SECONDS);
        assertThat(pool.isTerminated()).isTrue();
        if (viaExecutorService) {
            assertThat(es.awaitTermination(1, TimeUnit.SECONDS)).isTrue();
        }
        assertNoThreadLeft(name + "-loop-");

        assertThat(deaths.get()).isLessThanOrEqualTo(1);
        long[] counts = new long[6];
        for (List<Call> calls : perThread) {
            for (Call c : calls) {
                check(c, counts);
            }
        }
        assertThat(counts[0] + counts[1] + counts[2] + counts[3] + counts[4] + counts[5]).isEqualTo(total);
        return counts;
    }

    private static Call submitOne(LoopPool pool, ExecutorService es, boolean viaEs, Random rnd, int k) {
        Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
        Throwable thrown = kind == Kind.THROW ? new IllegalStateException("boom " + k) : null;
        int sleepMicros = rnd.nextInt(1_000);
        Coroutine<Integer> coroutine = switch (kind) {
            case RETURN, CALLER_CANCEL -> () -> k;
            case THROW -> () -> {
                throw (IllegalStateException) thrown;
            };
            case SLEEP, CALLER_TIMEOUT -> () -> Aio.sleep(Duration.ofNanos(sleepMicros * 1000L), k);
            case SELF_CANCEL -> () -> {
                Aio.currentTask().cancel("self");
                Aio.sleep(Duration.ZERO);
                return k;
            };
        };
        Future<Integer> f;
        try {
            f = viaEs ? es.submit(coroutine::call) : pool.submit(coroutine);
        } catch (RejectedExecutionException e) {
            assertThat(e).hasMessageContaining(pool.name());
            return new Call(kind, k, thrown, null, false);
        }
        boolean cancelAccepted = false;
        if (kind == Kind.CALLER_CANCEL) {
            if (rnd.nextBoolean()) {
                for (int spin = rnd.nextInt(200); spin > 0; spin--) {
                    Thread.onSpinWait(); // vary where the cancel lands: before, during or after the start
                }
            }
            cancelAccepted = f.cancel(true);
        } else if (kind == Kind.CALLER_TIMEOUT) {
            ((CompletableFuture<Integer>) f).orTimeout(rnd.nextInt(1_000), TimeUnit.MICROSECONDS);
        }
        return new Call(kind, k, thrown, f, cancelAccepted);
    }

    /** Outcome indices: 0 value, 1 failed, 2 cancelled, 3 timed out, 4 rejected, 5 its loop died. */
    private static void check(Call c, long[] counts) {
        if (c.future == null) {
            counts[4]++;
            return;
        }
        CompletableFuture<Integer> f = (CompletableFuture<Integer>) c.future;
        assertThat(f.isDone()).as("future of %s #%d is done after termination: %s", c.kind, c.expected, f).isTrue();
        Integer value = null;
        Throwable failure = null;
        try {
            value = f.join();
        } catch (CancellationException e) {
            failure = e;
        } catch (CompletionException e) {
            failure = e.getCause();
        }
        if (c.cancelAccepted) {
            assertThat(f.isCancelled()).as("a cancel that returned true leaves the future cancelled").isTrue();
        }
        if (failure == null) {
            assertThat(c.kind).as("kind that may return a value").isNotEqualTo(Kind.SELF_CANCEL).isNotEqualTo(Kind.THROW);
            assertThat(value).isEqualTo(c.expected);
            counts[0]++;
        } else if (failure instanceof CancellationException) {
            counts[2]++;
        } else if (failure instanceof RejectedExecutionException) {
            // accepted, then refused by the shutdown before it started
            counts[4]++;
        } else if (failure instanceof TimeoutException) {
            assertThat(c.kind).isEqualTo(Kind.CALLER_TIMEOUT);
            counts[3]++;
        } else if (failure instanceof IllegalStateException && failure.getCause() instanceof InternalError) {
            assertThat(failure).hasMessageContaining("died");
            counts[5]++;
        } else if (c.kind == Kind.THROW) {
            assertThat(failure).as("the same exception object").isSameAs(c.thrown);
            counts[1]++;
        } else {
            fail("unexpected outcome of " + c.kind + " #" + c.expected, failure);
        }
    }

    static long mix(long seed) {
        return new java.util.SplittableRandom(seed).nextLong();
    }

    static void assertNoThreadLeft(String prefix) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertThat(t.getName().startsWith(prefix) && t.isAlive()).as("thread %s left running", t).isFalse();
        }
    }
}
