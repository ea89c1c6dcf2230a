package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.core.Aio;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.ReportedErrors;
import io.loopbridge.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoopPoolTest {
    private static final long T = 10;

    @Test
    void roundRobinVisitsEveryLoopInTurnAndKeysStayOnTheirLoop() {
        try (LoopPool pool = LoopPool.builder().loops(3).name("rr").build()) {
            List<EventLoop> loops = pool.loops();
            assertThat(loops).hasSize(3).extracting(EventLoop::name).containsExactly("rr-loop-0", "rr-loop-1", "rr-loop-2");
            EventLoop first = pool.next();
            int at = loops.indexOf(first);
            for (int i = 1; i < 7; i++) {
                assertThat(pool.next()).isSameAs(loops.get((at + i) % 3));
            }
            Set<EventLoop> used = new HashSet<>();
            for (int k = 0; k < 1000; k++) {
                EventLoop l = pool.loopFor("key-" + k);
                assertThat(pool.loopFor("key-" + k)).isSameAs(l);
                used.add(l);
            }
            assertThat(used).hasSize(3);
        }
    }

    @Test
    void leastLoadedAvoidsABusyLoop() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(2).selection(LoopPool.Selection.LEAST_LOADED).build()) {
            EventLoop busy = pool.loops().get(0);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            busy.callSoonThreadsafe(() -> {
                blocked.countDown();
                Waits.await(release);
            });
            assertThat(blocked.await(T, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 100; i++) {
                busy.callSoonThreadsafe(() -> { });
            }
            for (int i = 0; i < 10; i++) {
                assertThat(pool.next()).isSameAs(pool.loops().get(1));
            }
            release.countDown();
        }
    }

    @Test
    void submitAndExecuteRunOnThePoolsLoops() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(2).name("work").build()) {
            EventLoop ran = pool.submit(() -> Aio.sleep(Duration.ofMillis(1), Aio.getRunningLoop())).get(T, TimeUnit.SECONDS);
            assertThat(pool.loops()).contains(ran);
            CompletableFuture<String> thread = new CompletableFuture<>();
            pool.execute(() -> thread.complete(Thread.currentThread().getName()));
            assertThat(thread.get(T, TimeUnit.SECONDS)).startsWith("work-loop-");
            assertThat(pool.submittedCount()).isEqualTo(2);
        }
    }

    @Test
    void gracefulShutdownLetsTasksFinishThenRejectsAndEndsTheThreads() throws Exception {
        LoopPool pool = LoopPool.builder().loops(2).name("graceful").build();
        List<Thread> threads = loopThreads(pool);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        // The tasks outlast the checks below however slow the machine: the pool is still draining during them.
        CompletableFuture<Void> gate = new CompletableFuture<>();
        for (int i = 0; i < 20; i++) {
            int k = i;
            fs.add(pool.submit(() -> {
                Bridge.wrapFuture(gate).await();
                return Aio.sleep(Duration.ofMillis(1), k);
            }));
        }
        CompletableFuture<Void> done = pool.shutdownGracefully(Duration.ofSeconds(T));
        assertThat(pool.isShutdown()).isTrue();
        assertThatThrownBy(() -> pool.submit(() -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("LoopPool 'graceful'");
        assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> Bridge.runCoroutineThreadsafe(() -> 1, threadsLoop(pool, threads)))
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("graceful");
        assertThat(done).isNotDone();
        gate.complete(null);
        Waits.get(done, "graceful-");
        for (int i = 0; i < 20; i++) {
            assertThat(fs.get(i).getNow(-1)).isEqualTo(i);
        }
        assertThat(pool.isTerminated()).isTrue();
        for (Thread t : threads) {
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(pool.loops()).allMatch(EventLoop::isClosed);
        assertThat(pool.rejectedCount()).isEqualTo(3);
        assertThat(pool.shutdownGracefully(Duration.ZERO)).isDone();
    }

    private static EventLoop threadsLoop(LoopPool pool, List<Thread> threads) {
        return pool.loops().get(0);
    }

    @Test
    void whatOutlivesTheGraceIsCancelledAndItsCancellationRunsToTheEnd() throws Exception {
        ReportedErrors reports = new ReportedErrors();
        LoopPool pool = LoopPool.builder().loops(1).cancellationTimeout(Duration.ofMillis(500))
                .exceptionHandler(reports).build();
        CountDownLatch started = new CountDownLatch(2);
        CompletableFuture<String> cleanedUp = new CompletableFuture<>();
        CompletableFuture<String> polite = pool.submit(() -> {
            started.countDown();
            try {
                return Aio.sleep(Duration.ofHours(1), "late");
            } finally {
                Aio.sleep(Duration.ofMillis(5)); // cleanup that itself awaits: the pool runs it to its end
                cleanedUp.complete("cleaned");
            }
        });
        CompletableFuture<String> stubborn = pool.submit(() -> {
            started.countDown();
            while (true) {
                try {
                    Aio.sleep(Duration.ofHours(1));
                } catch (CancellationException refused) {
                    // refuses every cancellation: the loop is closed under it after the cancellation timeout
                }
            }
        });
        assertThat(started.await(T, TimeUnit.SECONDS)).isTrue();
        pool.shutdownGracefully(Duration.ofMillis(20)).get(T, TimeUnit.SECONDS);
        assertThat(polite.isCancelled()).isTrue();
        assertThat(cleanedUp.getNow(null)).isEqualTo("cleaned");
        assertThat(stubborn.isCancelled()).as("destroyed by the loop's close").isTrue();
        assertThat(reports.all()).as("the close reports the one task it destroyed").singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo(ReportedErrors.DESTROYED_PENDING);
            assertThat(c.future()).isInstanceOf(io.loopbridge.core.Task.class);
        });
    }

    @Test
    void aShorterSecondShutdownCutsTheGraceShort() throws Exception {
        LoopPool pool = LoopPool.create(1);
        CompletableFuture<String> f = pool.submit(() -> Aio.sleep(Duration.ofHours(1), "late"));
        CompletableFuture<Void> done = pool.shutdownGracefully(Duration.ofHours(1));
        assertThat(pool.asExecutorService().awaitTermination(20, TimeUnit.MILLISECONDS)).isFalse();
        pool.shutdownGracefully(Duration.ZERO).get(T, TimeUnit.SECONDS);
        done.get(T, TimeUnit.SECONDS); // the first shutdown's future too
        assertThat(f.isCancelled()).isTrue();
    }

    @Test
    void aDeadLoopIsReportedItsWorkFailsAndThePoolServesOn() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reported = new ConcurrentLinkedQueue<>();
        try (LoopPool pool = LoopPool.builder().loops(2).name("dying")
                .exceptionHandler((loop, ctx) -> reported.add(ctx)).build()) {
            EventLoop doomed = pool.loops().get(0);
            Thread doomedThread = Bridge.callSoonThreadsafe(doomed, Thread::currentThread).get(T, TimeUnit.SECONDS);
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<String> running = Bridge.runCoroutineThreadsafe(() -> {
                started.countDown();
                return Aio.sleep(Duration.ofHours(1), "late");
            }, doomed);
            assertThat(started.await(T, TimeUnit.SECONDS)).isTrue();
            InternalError fatal = new InternalError("injected");
            doomed.callSoonThreadsafe(() -> {
                throw fatal;
            });
            List<CompletableFuture<Integer>> queuedBehind = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                try {
                    queuedBehind.add(Bridge.runCoroutineThreadsafe(() -> 1, doomed));
                } catch (RejectedExecutionException alreadyDead) {
                    assertThat(alreadyDead).hasMessageContaining("dying");
                }
            }
            Throwable failure = catchThrowable(() -> running.get(T, TimeUnit.SECONDS));
            assertThat(failure).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(doomed.name()).cause().isSameAs(fatal);
            doomedThread.join(T * 1000);
            assertThat(doomedThread.isAlive()).isFalse();
            for (CompletableFuture<Integer> f : queuedBehind) {
                assertThat(f).isDone(); // each started and returned 1, or failed with the loop
            }
            assertThat(reported).anySatisfy(ctx -> assertThat(ctx.exception()).isSameAs(fatal));
            assertThat(pool.deadLoopCount()).isEqualTo(1);
            assertThat(pool.loops()).hasSize(1).doesNotContain(doomed);
            for (int i = 0; i < 20; i++) {
                assertThat(pool.submit(() -> 7).get(T, TimeUnit.SECONDS)).isEqualTo(7);
                assertThat(pool.loopFor(i)).isNotSameAs(doomed);
            }
            assertThatThrownBy(() -> Bridge.runCoroutineThreadsafe(() -> 1, doomed))
                    .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("dying");
        }
    }

    @Test
    void aDeadLoopIsReplacedWhenAsked() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(2).name("phoenix").replaceDeadLoops(true)
                .exceptionHandler((loop, ctx) -> { }).build()) {
            EventLoop doomed = pool.loops().get(0);
            Object key = keyOf(pool, doomed);
            Thread doomedThread = Bridge.callSoonThreadsafe(doomed, Thread::currentThread).get(T, TimeUnit.SECONDS);
            doomed.callSoonThreadsafe(() -> {
                throw new InternalError("injected");
            });
            doomedThread.join(T * 1000); // the dying thread starts the replacement before it ends
            List<EventLoop> loops = pool.loops();
            assertThat(loops).hasSize(2).doesNotContain(doomed);
            assertThat(loops.get(0).name()).isEqualTo("phoenix-loop-2");
            assertThat(pool.loopFor(key)).as("the slot's keys go to its replacement").isSameAs(loops.get(0));
            assertThat(Bridge.runCoroutineThreadsafe(() -> Aio.getRunningLoop(), loops.get(0)).get(T, TimeUnit.SECONDS))
                    .isSameAs(loops.get(0));
        }
    }

    private static Object keyOf(LoopPool pool, EventLoop loop) {
        for (int k = 0; ; k++) {
            if (pool.loopFor(k) == loop) {
                return k;
            }
        }
    }

    @Test
    @SuppressWarnings("try") // pool.close() inside try-with-resources is what is tested
    void closeFromALoopThreadFailsClearly() throws Exception {
        try (LoopPool pool = LoopPool.create(1)) {
            Object r = Bridge.callSoonThreadsafe(pool.next(), () -> {
                try {
                    pool.close();
                    return "closed";
                } catch (IllegalStateException e) {
                    return e;
                }
            }).get(T, TimeUnit.SECONDS);
            assertThat(r).isInstanceOf(IllegalStateException.class);
            assertThat(((Exception) r)).hasMessageContaining("own loop thread");
            Object inCoroutine = pool.submit(() -> {
                try {
                    pool.close();
                    return "closed";
                } catch (IllegalStateException e) {
                    return e;
                }
            }).get(T, TimeUnit.SECONDS);
            assertThat(inCoroutine).isInstanceOf(IllegalStateException.class);
            assertThat(pool.isShutdown()).isFalse();
        }
    }

    @Test
    void countersAndTheRoundTripHook() throws Exception {
        AtomicLong samples = new AtomicLong();
        AtomicLong shortest = new AtomicLong(Long.MAX_VALUE);
        LoopPool pool = LoopPool.builder().loops(2).name("metered").build();
        assertThat(pool.name()).isEqualTo("metered");
        pool.setRoundTripRecorder(nanos -> {
            samples.incrementAndGet();
            shortest.accumulateAndGet(nanos, Math::min);
        });
        int rounds = 320; // one in 16 is timed: 20 expected, none at all has a probability of 1e-9
        for (int i = 0; i < rounds; i++) {
            pool.submit(() -> Aio.sleep(Duration.ofNanos(100_000), 1)).get(T, TimeUnit.SECONDS);
        }
        pool.close();
        assertThatThrownBy(() -> pool.submit(() -> 1)).isInstanceOf(RejectedExecutionException.class);
        assertThat(pool.submittedCount()).isEqualTo(rounds);
        assertThat(pool.rejectedCount()).isEqualTo(1);
        assertThat(samples.get()).isBetween(1L, (long) rounds);
        assertThat(shortest.get()).as("a timed round trip includes the coroutine's 100 µs sleep")
                .isGreaterThanOrEqualTo(100_000L);
    }

    @Test
    void asExecutorServiceBehavesAsAnExecutorService() throws Exception {
        LoopPool pool = LoopPool.builder().loops(2).name("es").build();
        ExecutorService es = pool.asExecutorService();
        assertThat(es.submit(() -> Aio.sleep(Duration.ofMillis(1), "c")).get(T, TimeUnit.SECONDS)).isEqualTo("c");
        assertThat(es.submit(() -> { }, "r").get(T, TimeUnit.SECONDS)).isEqualTo("r");

        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int k = i;
            tasks.add(() -> Aio.sleep(Duration.ofMillis(k), k));
        }
        List<Future<Integer>> all = es.invokeAll(tasks);
        for (int i = 0; i < 10; i++) {
            assertThat(all.get(i).get()).isEqualTo(i);
        }

        CompletableFuture<String> loserCancelled = new CompletableFuture<>();
        CompletableFuture<Void> loserStarted = new CompletableFuture<>();
        Integer any = es.invokeAny(List.of(
                () -> {
                    throw new IllegalStateException("fails");
                },
                () -> {
                    Bridge.wrapFuture(loserStarted).await(); // so that the loser is running when it loses
                    return 42;
                },
                () -> {
                    loserStarted.complete(null);
                    try {
                        return Aio.sleep(Duration.ofHours(1), 0);
                    } catch (CancellationException e) {
                        loserCancelled.complete("cancelled");
                        throw e;
                    }
                }));
        assertThat(any).isEqualTo(42);
        assertThat(loserCancelled.get(T, TimeUnit.SECONDS)).isEqualTo("cancelled");
        IllegalStateException only = new IllegalStateException("only");
        assertThat(catchThrowable(() -> es.invokeAny(List.of(() -> {
            throw only;
        })))).isInstanceOf(ExecutionException.class).cause().isSameAs(only);

        List<Future<Integer>> timedOut = es.invokeAll(List.of(() -> 1, () -> Aio.sleep(Duration.ofHours(1), 2)),
                300, TimeUnit.MILLISECONDS);
        assertThat(timedOut.get(0).get()).isEqualTo(1);
        assertThat(timedOut.get(1).isCancelled()).isTrue();

        Future<String> running = es.submit(() -> Aio.sleep(Duration.ofHours(1), "late"));
        es.shutdown();
        assertThat(es.isShutdown()).isTrue();
        assertThatThrownBy(() -> es.submit(() -> 1)).isInstanceOf(RejectedExecutionException.class);
        assertThat(es.awaitTermination(20, TimeUnit.MILLISECONDS)).as("shutdown() waits for running tasks").isFalse();
        assertThat(es.shutdownNow()).isEmpty();
        assertThat(es.awaitTermination(T, TimeUnit.SECONDS)).isTrue();
        assertThat(es.isTerminated()).isTrue();
        assertThat(running.isCancelled()).isTrue();
    }

    @Test
    void builderSettingsReachTheLoopsAndThreads() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(2).threadNamePrefix("custom-").debug(true)
                .slowCallbackDuration(Duration.ofMillis(7)).daemon(true).build()) {
            for (EventLoop l : pool.loops()) {
                assertThat(l.isDebug()).isTrue();
                assertThat(l.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(7));
                assertThat(l.name()).startsWith("custom-");
            }
            for (Thread t : loopThreads(pool)) {
                assertThat(t.getName()).startsWith("custom-");
                assertThat(t.isDaemon()).isTrue();
                assertThat(t.isVirtual()).isFalse();
            }
        }
        try (LoopPool defaults = LoopPool.builder().build()) {
            assertThat(defaults.loops()).as("default size").hasSize(Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void loopDefaultsReachEveryLoopAReplacementToo() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(2).name("defaults").replaceDeadLoops(true)
                .loopDefaults(l -> l.name("not-this").debug(true).idleSpin(Duration.ZERO))
                .slowCallbackDuration(Duration.ofMillis(9)) // composes with the defaults before it
                .exceptionHandler((loop, ctx) -> { })
                .build()) {
            EventLoop doomed = pool.loops().getFirst();
            Thread doomedThread = Bridge.callSoonThreadsafe(doomed, Thread::currentThread).get(T, TimeUnit.SECONDS);
            doomed.callSoonThreadsafe(() -> {
                throw new InternalError("injected");
            });
            doomedThread.join(T * 1000);
            assertThat(pool.loops()).hasSize(2).doesNotContain(doomed).allSatisfy(l -> {
                assertThat(l.name()).as("the pool names its loops").startsWith("defaults-loop-");
                assertThat(l.isDebug()).isTrue();
                assertThat(l.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(9));
            });
        }
    }

    @Test
    void aPoolCarriesItsOwnContextPropagatorTheDefaultOneAsItWasAtBuildTime() throws Exception {
        ContextPropagator tagging = new ContextPropagator() {
            @Override
            public <V> io.loopbridge.core.Coroutine<V> wrap(io.loopbridge.core.Coroutine<V> work) {
                return () -> {
                    org.slf4j.MDC.put("tag", "pool's own");
                    try {
                        return work.call();
                    } finally {
                        org.slf4j.MDC.remove("tag");
                    }
                };
            }
        };
        org.slf4j.MDC.put("tag", "submitter's");
        try (LoopPool own = LoopPool.builder().loops(1).contextPropagator(tagging).build();
                LoopPool byDefault = LoopPool.builder().loops(1).build()) {
            assertThat(own.contextPropagator()).isSameAs(tagging);
            assertThat(byDefault.contextPropagator()).isSameAs(Bridge.getContextPropagator());
            assertThat(own.submit(() -> org.slf4j.MDC.get("tag")).get(T, TimeUnit.SECONDS)).isEqualTo("pool's own");
            assertThat(Bridge.runCoroutineThreadsafe(() -> org.slf4j.MDC.get("tag"), own.next()).get(T, TimeUnit.SECONDS))
                    .as("a Bridge call given the pool's loop").isEqualTo("pool's own");
            assertThat(own.submit(() -> {
                org.slf4j.MDC.put("tag", "coroutine's"); // the global MDC propagator would carry this
                return Bridge.toThread(() -> org.slf4j.MDC.get("tag")).await();
            }).get(T, TimeUnit.SECONDS)).as("toThread in the pool's coroutine").isEqualTo("pool's own");
            Bridge.setContextPropagator(ContextPropagator.NONE);
            try {
                assertThat(byDefault.submit(() -> org.slf4j.MDC.get("tag")).get(T, TimeUnit.SECONDS))
                        .as("built with the default of its time, MDC").isEqualTo("submitter's");
            } finally {
                Bridge.setContextPropagator(ContextPropagator.MDC);
            }
        } finally {
            org.slf4j.MDC.clear();
        }
    }

    @Test
    void builderRejectsBadInput() {
        assertThatThrownBy(() -> LoopPool.create(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoopPool.builder().maxPendingSubmissions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoopPool.builder().closeGrace(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        try (LoopPool pool = LoopPool.create(1)) {
            assertThatThrownBy(() -> pool.submit(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> pool.loopFor(null)).isInstanceOf(NullPointerException.class);
        }
    }

    /** The pool's loop threads, read on each loop. */
    static List<Thread> loopThreads(LoopPool pool) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (EventLoop l : pool.loops()) {
            threads.add(Bridge.callSoonThreadsafe(l, Thread::currentThread).get(T, TimeUnit.SECONDS));
        }
        return threads;
    }
}
