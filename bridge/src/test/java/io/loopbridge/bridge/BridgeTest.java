package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.testing.ReportedErrors;
import io.loopbridge.testing.Waits;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;

@Timeout(30)
class BridgeTest {
    private static final long T = 10; // seconds: bound of every wait

    @Test
    void resultExceptionAndCancellationCrossToTheCallingThread() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            assertThat(Bridge.runCoroutineThreadsafe(() -> Aio.sleep(Duration.ofMillis(1), "v"), rl.loop)
                    .get(T, TimeUnit.SECONDS)).isEqualTo("v");

            IOException boom = new IOException("boom");
            CompletableFuture<Object> failed = Bridge.runCoroutineThreadsafe(() -> {
                Aio.sleep(Duration.ZERO);
                throw boom;
            }, rl.loop);
            assertThatThrownBy(() -> failed.get(T, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isSameAs(boom);
            assertThat(failed.handle((v, e) -> e).get(T, TimeUnit.SECONDS)).isSameAs(boom);

            CompletableFuture<Object> cancelled = Bridge.runCoroutineThreadsafe(() -> {
                Aio.currentTask().cancel("by itself");
                Aio.sleep(Duration.ZERO);
                return "not reached";
            }, rl.loop);
            assertThat(catchThrowable(() -> cancelled.get(T, TimeUnit.SECONDS)))
                    .isInstanceOf(CancellationException.class)
                    .cause().as("the task's own cancellation").hasMessage("by itself");
            assertThat(cancelled.isCancelled()).isTrue();
        }
    }

    @Test
    void cancellingTheFutureFromAnotherThreadCancelsTheTaskOnItsLoop() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<CancellationException> seen = new CompletableFuture<>();
            CompletableFuture<String> f = Bridge.runCoroutineThreadsafe(sleeper(started, seen), rl.loop);
            assertThat(started.await(T, TimeUnit.SECONDS)).isTrue();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f.isCancelled()).isTrue();
            assertThat(seen.get(T, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        }
    }

    @Test
    void orTimeoutCancelsTheTaskToo() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            CompletableFuture<CancellationException> seen = new CompletableFuture<>();
            CompletableFuture<String> f = Bridge.runCoroutineThreadsafe(sleeper(new CountDownLatch(1), seen), rl.loop)
                    .orTimeout(20, TimeUnit.MILLISECONDS);
            assertThat(catchThrowable(() -> f.get(T, TimeUnit.SECONDS))).cause().isInstanceOf(TimeoutException.class);
            assertThat(seen.get(T, TimeUnit.SECONDS)).isNotNull();
        }
    }

    /**
     * The caller's brief spin before blocking changes nothing it can observe: get, get with a timeout and
     * join return the result; a pending future's short timeout still times out (spin included in it); an
     * interrupted caller still gets InterruptedException.
     */
    @Test
    void waitingForTheFutureSpinsBrieflyButKeepsCompletableFutureSemantics() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            for (int i = 0; i < 200; i++) {
                int v = i;
                assertThat(Bridge.runCoroutineThreadsafe(() -> v, rl.loop).get()).isEqualTo(v);
                assertThat(Bridge.runCoroutineThreadsafe(() -> v, rl.loop).get(T, TimeUnit.SECONDS)).isEqualTo(v);
                assertThat(Bridge.runCoroutineThreadsafe(() -> v, rl.loop).join()).isEqualTo(v);
            }
            CompletableFuture<CancellationException> seen = new CompletableFuture<>();
            CompletableFuture<String> pending =
                    Bridge.runCoroutineThreadsafe(sleeper(new CountDownLatch(1), seen), rl.loop);
            long t0 = System.nanoTime();
            assertThat(catchThrowable(() -> pending.get(1, TimeUnit.MICROSECONDS))).isInstanceOf(TimeoutException.class);
            assertThat(catchThrowable(() -> pending.get(2, TimeUnit.MILLISECONDS))).isInstanceOf(TimeoutException.class);
            assertThat(System.nanoTime() - t0).as("two short timeouts, ns").isLessThan(TimeUnit.SECONDS.toNanos(T));
            Thread.currentThread().interrupt();
            assertThat(catchThrowable(pending::get)).isInstanceOf(InterruptedException.class);
            Thread.interrupted(); // whatever get() left of the flag must not reach the next test
            pending.cancel(true);
            // the task sees it on its loop (and is not left pending for the loop's close to destroy)
            assertThat(seen.get(T, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        }
    }

    /** Awaits an hour; reports the cancellation it sees. */
    private static Coroutine<String> sleeper(CountDownLatch started, CompletableFuture<CancellationException> seen) {
        return () -> {
            started.countDown();
            try {
                return Aio.sleep(Duration.ofHours(1), "late");
            } catch (CancellationException e) {
                seen.complete(e);
                throw e;
            }
        };
    }

    @Test
    void aFutureCancelledBeforeItsTaskStartedNeverRunsIt() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocking = new CountDownLatch(1);
            rl.loop.callSoonThreadsafe(() -> {
                blocking.countDown();
                Waits.await(release);
            });
            assertThat(blocking.await(T, TimeUnit.SECONDS)).isTrue();
            AtomicBoolean ran = new AtomicBoolean();
            CompletableFuture<Object> f = Bridge.runCoroutineThreadsafe(() -> ran.getAndSet(true), rl.loop);
            CompletableFuture<Object> g = Bridge.callSoonThreadsafe(rl.loop, () -> ran.getAndSet(true));
            f.cancel(true);
            g.cancel(true);
            release.countDown();
            // a later submission has run, so the cancelled ones were taken from the inbox before it
            assertThat(Bridge.runCoroutineThreadsafe(() -> Aio.sleep(Duration.ZERO, "after"), rl.loop)
                    .get(T, TimeUnit.SECONDS)).isEqualTo("after");
            assertThat(ran).isFalse();
        }
    }

    @Test
    void theFutureCompletesOnTheLoopThreadAndAsyncDependentsRunElsewhere() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            ExecutorService legacy = Executors.newSingleThreadExecutor(r -> new Thread(r, "legacy"));
            try {
                CountDownLatch hold = new CountDownLatch(1);
                CompletableFuture<Integer> f = Bridge.runCoroutineThreadsafe(() -> {
                    hold.await(); // completes only after the dependent is registered
                    return 1;
                }, rl.loop);
                CompletableFuture<Thread> onLoop = f.thenApply(v -> Thread.currentThread());
                hold.countDown();
                assertThat(onLoop.get(T, TimeUnit.SECONDS)).isSameAs(rl.thread);
                // (separate future: CompletableFuture lets a thread completing one dependent help run the others)
                CompletableFuture<String> onLegacy = Bridge.runCoroutineThreadsafe(() -> 1, rl.loop)
                        .thenApplyAsync(v -> Thread.currentThread().getName(), legacy);
                assertThat(onLegacy.get(T, TimeUnit.SECONDS)).isEqualTo("legacy");
            } finally {
                legacy.shutdownNow();
            }
        }
    }

    @Test
    void callSoonThreadsafeRunsAFunctionOnTheLoopThread() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            assertThat(Bridge.callSoonThreadsafe(rl.loop, Thread::currentThread).get(T, TimeUnit.SECONDS))
                    .isSameAs(rl.thread);
            IOException boom = new IOException();
            assertThat(catchThrowable(() -> Bridge.callSoonThreadsafe(rl.loop, () -> {
                throw boom;
            }).get(T, TimeUnit.SECONDS))).cause().isSameAs(boom);
        }
    }

    @Test
    void aClosedLoopRejectsAtTheCall() {
        EventLoop loop = EventLoop.create();
        loop.close();
        assertThatThrownBy(() -> Bridge.runCoroutineThreadsafe(() -> 1, loop))
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining(loop.name());
        assertThatThrownBy(() -> Bridge.callSoonThreadsafe(loop, () -> 1))
                .isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> Bridge.runCoroutineThreadsafe(null, loop)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aLoopClosedBeforeStartingTheWorkRejectsItsFuture() {
        EventLoop loop = EventLoop.create(); // never run
        CompletableFuture<Integer> f = Bridge.runCoroutineThreadsafe(() -> 1, loop);
        CompletableFuture<Integer> g = Bridge.callSoonThreadsafe(loop, () -> 2);
        assertThat(f).isNotDone();
        loop.close();
        assertThat(catchThrowable(f::join)).cause().isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining(loop.name());
        assertThat(catchThrowable(g::join)).cause().isInstanceOf(RejectedExecutionException.class);
    }

    /* The bridge queues its work with no handle: a loop closed with it queued still answers every future. */
    @Test
    void aLoopClosedWithTheWorkStillQueuedAnswersEveryFutureInDebugModeToo() {
        for (boolean debug : new boolean[] {false, true}) {
            EventLoop loop = EventLoop.builder().debug(debug).build(); // never run
            CompletableFuture<Integer> coroutine = Bridge.runCoroutineThreadsafe(() -> 1, loop);
            CompletableFuture<Integer> function = Bridge.callSoonThreadsafe(loop, () -> 2);
            CompletableFuture<Integer> mirror = Bridge.toCompletableFuture(loop.createFuture());
            assertThat(List.of(coroutine, function, mirror)).as("debug %s", debug).noneMatch(CompletableFuture::isDone);
            loop.close();
            assertThat(catchThrowable(coroutine::join)).as("debug %s", debug).cause()
                    .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("closed before the work started");
            assertThat(catchThrowable(function::join)).as("debug %s", debug).cause()
                    .isInstanceOf(RejectedExecutionException.class);
            assertThat(mirror.isCancelled()).as("debug %s", debug).isTrue();
        }
    }

    @Test
    void aLoopClosedWithTheTaskPendingCancelsItsFuture() throws Exception {
        RunningLoop rl = new RunningLoop();
        ReportedErrors reports = new ReportedErrors();
        rl.loop.setExceptionHandler(reports);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> f = Bridge.runCoroutineThreadsafe(sleeper(started, new CompletableFuture<>()), rl.loop);
        assertThat(started.await(T, TimeUnit.SECONDS)).isTrue();
        rl.close();
        assertThat(f.isCancelled()).as("completed by close() itself").isTrue();
        assertThat(reports.all()).as("the close reports the task it destroyed").singleElement().satisfies(c -> {
            assertThat(c.message()).isEqualTo(ReportedErrors.DESTROYED_PENDING);
            assertThat(c.future()).isInstanceOf(Task.class).matches(LoopFuture::isCancelled, "cancelled");
        });
    }

    @Test
    void aTaskFinishingInTheIterationThatStopsTheLoopStillCompletesItsFuture() throws Exception {
        RunningLoop rl = new RunningLoop();
        EventLoop loop = rl.loop;
        // The task's done-callback is queued in the last iteration and never run by the loop: close() runs it.
        CompletableFuture<Integer> f = Bridge.runCoroutineThreadsafe(() -> {
            loop.stop();
            return 42;
        }, loop);
        rl.thread.join(T * 1000);
        assertThat(rl.thread.isAlive()).isFalse();
        loop.close();
        assertThat(f.getNow(-1)).isEqualTo(42);
    }

    @Test
    void wrapFutureLetsACoroutineAwaitACompletableFuture() throws Exception {
        IOException boom = new IOException();
        String r = Aio.run(() -> {
            CompletableFuture<String> value = new CompletableFuture<>();
            CompletableFuture<String> failure = new CompletableFuture<>();
            CompletableFuture<String> cancelledOutside = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                value.complete("x");
                failure.completeExceptionally(boom);
                cancelledOutside.cancel(true);
            });
            String v = Bridge.wrapFuture(value).await();
            Throwable e = catchThrowable(() -> Bridge.wrapFuture(failure).await());
            Throwable c = catchThrowable(() -> Bridge.wrapFuture(cancelledOutside).await());
            assertThat(e).isSameAs(boom);
            assertThat(c).isInstanceOf(CancellationException.class);

            CompletableFuture<String> never = new CompletableFuture<>();
            LoopFuture<String> wrapped = Bridge.wrapFuture(never);
            wrapped.cancel();
            Aio.sleep(Duration.ZERO);
            assertThat(never.isCancelled()).as("cancelling the loop future cancels the CompletableFuture").isTrue();
            return v;
        });
        assertThat(r).isEqualTo("x");
        assertThatThrownBy(() -> Bridge.wrapFuture(new CompletableFuture<>()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no running event loop");
    }

    @Test
    void toCompletableFutureWorksFromAnyThreadBothWays() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            LoopFuture<String> lf = Bridge.callSoonThreadsafe(rl.loop, rl.loop::<String>createFuture).get(T, TimeUnit.SECONDS);
            CompletableFuture<String> cf = Bridge.toCompletableFuture(lf);
            rl.loop.callSoonThreadsafe(() -> lf.setResult("set on the loop"));
            assertThat(cf.get(T, TimeUnit.SECONDS)).isEqualTo("set on the loop");
            assertThat(Bridge.toCompletableFuture(lf).getNow(null)).as("already done").isEqualTo("set on the loop");

            IOException boom = new IOException();
            LoopFuture<String> failing = Bridge.callSoonThreadsafe(rl.loop, rl.loop::<String>createFuture).get(T, TimeUnit.SECONDS);
            CompletableFuture<String> failed = Bridge.toCompletableFuture(failing);
            rl.loop.callSoonThreadsafe(() -> failing.setException(boom));
            assertThat(failed.handle((v, e) -> e).get(T, TimeUnit.SECONDS)).isSameAs(boom);

            LoopFuture<String> other = Bridge.callSoonThreadsafe(rl.loop, rl.loop::<String>createFuture).get(T, TimeUnit.SECONDS);
            Bridge.toCompletableFuture(other).cancel(true);
            assertThat(Bridge.toCompletableFuture(other).handle((v, e) -> e).get(T, TimeUnit.SECONDS))
                    .isInstanceOf(CancellationException.class);
            assertThat(other.isCancelled()).isTrue();
        }
    }

    @Test
    void aPlainLoopFutureLeftPendingByItsClosingLoopStillCompletesItsMirror() throws Exception {
        RunningLoop rl = new RunningLoop();
        ReportedErrors reports = new ReportedErrors();
        rl.loop.setExceptionHandler(reports);
        LoopFuture<String> hooked = Bridge.callSoonThreadsafe(rl.loop, rl.loop::<String>createFuture).get(T, TimeUnit.SECONDS);
        CompletableFuture<String> mirror = Bridge.toCompletableFuture(hooked);
        // a round trip through the loop: the mirror's hook has run
        Bridge.callSoonThreadsafe(rl.loop, () -> 0).get(T, TimeUnit.SECONDS);
        rl.close(); // nobody ever completes the future
        assertThat(mirror.isCancelled()).isTrue();
        assertThat(hooked.isDone()).as("the plain future itself stays pending").isFalse();
        assertThat(reports.all()).as("the close reports the task that awaited it for the mirror").singleElement()
                .satisfies(c -> {
                    assertThat(c.message()).isEqualTo(ReportedErrors.DESTROYED_PENDING);
                    assertThat(c.future()).isInstanceOf(Task.class).matches(LoopFuture::isCancelled, "cancelled");
                });

        EventLoop idle = EventLoop.create(); // never runs: the hook is dropped by close
        LoopFuture<String> neverHooked = idle.createFuture();
        CompletableFuture<String> dropped = Bridge.toCompletableFuture(neverHooked);
        idle.close();
        assertThat(dropped.isCancelled()).isTrue();
        assertThat(catchThrowable(dropped::join)).cause().hasMessageContaining(idle.name()).hasMessageContaining("pending");
    }

    @Test
    void aLoopsDefaultExecutorIsShutDownWhenTheLoopCloses() throws Exception {
        RunningLoop rl = new RunningLoop();
        ExecutorService first;
        try {
            first = Bridge.runCoroutineThreadsafe(() -> {
                Bridge.toThread(() -> 1).await();
                return Bridge.defaultExecutor(Aio.getRunningLoop());
            }, rl.loop).get(T, TimeUnit.SECONDS);
            Bridge.shutdownDefaultExecutor(rl.loop);
            assertThat(first.isShutdown()).isTrue();
            ExecutorService second = Bridge.runCoroutineThreadsafe(() -> {
                Bridge.toThread(() -> 2).await();
                return Bridge.defaultExecutor(Aio.getRunningLoop());
            }, rl.loop).get(T, TimeUnit.SECONDS);
            assertThat(second).as("a new one after shutdownDefaultExecutor").isNotSameAs(first);
            rl.loop.callSoonThreadsafe(rl.loop::stop);
            rl.thread.join(T * 1000);
            rl.loop.close(); // asyncio's loop.close() shuts its default executor down too
            assertThat(second.isShutdown()).isTrue();
        } finally {
            rl.close();
        }
    }

    @Test
    void toThreadRunsBlockingWorkOffTheLoopWithTheCallersContext() throws Exception {
        IOException boom = new IOException();
        AtomicReference<EventLoop> loopRef = new AtomicReference<>();
        String r = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loopRef.set(loop);
            MDC.put("request", "r-7");
            try {
                String where = Bridge.toThread(() -> Thread.currentThread().getName() + "/" + MDC.get("request")).await();
                assertThat(catchThrowable(() -> Bridge.toThread(() -> {
                    throw boom;
                }).await())).isSameAs(boom);
                ExecutorService mine = Executors.newSingleThreadExecutor(t -> new Thread(t, "mine"));
                try {
                    assertThat(Bridge.runInExecutor(mine, () -> Thread.currentThread().getName()).await()).isEqualTo("mine");
                } finally {
                    mine.shutdown();
                }
                return where;
            } finally {
                MDC.remove("request");
            }
        });
        Bridge.shutdownDefaultExecutor(loopRef.get());
        assertThat(r).startsWith(loopRef.get().name() + "-to-thread-").endsWith("/r-7");
        assertThatThrownBy(() -> Bridge.toThread(() -> 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aCoroutineOnOneLoopAwaitsWorkOnAnother() throws Exception {
        try (RunningLoop a = new RunningLoop(); RunningLoop b = new RunningLoop()) {
            String r = Bridge.runCoroutineThreadsafe(() -> {
                String there = Bridge.runOn(b.loop, () -> Aio.sleep(Duration.ofMillis(1), Aio.getRunningLoop().name())).await();
                return there + " from " + Aio.getRunningLoop().name();
            }, a.loop).get(T, TimeUnit.SECONDS);
            assertThat(r).isEqualTo(b.loop.name() + " from " + a.loop.name());

            // cancelling the awaiting side cancels the work on the other loop
            CompletableFuture<CancellationException> seenOnB = new CompletableFuture<>();
            CountDownLatch startedOnB = new CountDownLatch(1);
            CompletableFuture<String> onA = Bridge.runCoroutineThreadsafe(
                    () -> Bridge.runOn(b.loop, sleeper(startedOnB, seenOnB)).await(), a.loop);
            assertThat(startedOnB.await(T, TimeUnit.SECONDS)).isTrue();
            onA.cancel(true);
            assertThat(seenOnB.get(T, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void theSubmittersMdcIsVisibleInTheCoroutineAndCanBeTurnedOff() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            MDC.put("user", "ann");
            try {
                assertThat(Bridge.runCoroutineThreadsafe(() -> {
                    Aio.sleep(Duration.ofMillis(1));
                    return MDC.get("user"); // still there after an await
                }, rl.loop).get(T, TimeUnit.SECONDS)).isEqualTo("ann");
                assertThat(Bridge.callSoonThreadsafe(rl.loop, () -> MDC.get("user")).get(T, TimeUnit.SECONDS)).isEqualTo("ann");

                ThreadLocal<String> trace = new ThreadLocal<>();
                ContextPropagator tracing = new ContextPropagator() {
                    @Override
                    public <V> Coroutine<V> wrap(Coroutine<V> work) {
                        String captured = trace.get();
                        return () -> {
                            trace.set(captured);
                            try {
                                return work.call();
                            } finally {
                                trace.remove();
                            }
                        };
                    }
                };
                trace.set("span-1");
                Bridge.setContextPropagator(ContextPropagator.MDC.andThen(tracing));
                assertThat(Bridge.runCoroutineThreadsafe(() -> MDC.get("user") + "/" + trace.get(), rl.loop)
                        .get(T, TimeUnit.SECONDS)).isEqualTo("ann/span-1");

                Bridge.setContextPropagator(ContextPropagator.NONE);
                assertThat(Bridge.runCoroutineThreadsafe(() -> String.valueOf(MDC.get("user")), rl.loop)
                        .get(T, TimeUnit.SECONDS)).isEqualTo("null");
            } finally {
                Bridge.setContextPropagator(ContextPropagator.MDC);
                MDC.clear();
            }
            // the loop thread's own MDC was restored after the propagated callback
            assertThat(Bridge.callSoonThreadsafe(rl.loop, () -> String.valueOf(MDC.get("user"))).get(T, TimeUnit.SECONDS))
                    .isEqualTo("null");
        }
    }
}
