package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.spi.LoopSpi;
import io.loopbridge.testing.LogCapture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop's scheduling, running and closing, each case checked against CPython 3.11 first (the Python is
 * in the comments; the expected lists are what it printed).
 */
@Timeout(30)
class EventLoopTest {
    private final EventLoop loop = EventLoop.builder().name("under-test").build();
    private final List<Object> log = new ArrayList<>();

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    /** Runs exactly one iteration, as {@code loop.call_soon(loop.stop); loop.run_forever()} does. */
    private void runOneIteration() {
        loop.callSoon(loop::stop);
        loop.runForever();
    }

    // ---- ordering -------------------------------------------------------------------------------

    /*
     * def a():
     *     log.append('a'); l.call_later(0, lambda: log.append('later0'))
     *     l.call_later(-1, lambda: log.append('laterneg')); l.call_soon(lambda: log.append('soon-from-a'))
     * l.call_soon(a); l.call_soon(lambda: log.append('b')); l.call_soon(l.stop); l.run_forever()
     * -> ['a', 'b'];  then call_soon(stop); run_forever() -> ['soon-from-a', 'laterneg', 'later0']
     */
    @Test
    void callbacksRunFifoAndWhatTheyScheduleIncludingZeroDelaysWaitsForTheNextIteration() {
        loop.callSoon(() -> {
            log.add("a");
            loop.callLater(Duration.ZERO, () -> log.add("later0"));
            loop.callLater(Duration.ofSeconds(-1), () -> log.add("laterneg"));
            loop.callSoon(() -> log.add("soon-from-a"));
        });
        loop.callSoon(() -> log.add("b"));
        runOneIteration();
        assertThat(log).containsExactly("a", "b");
        log.clear();

        runOneIteration();
        assertThat(log).containsExactly("soon-from-a", "laterneg", "later0");
    }

    /*
     * t = l.time() + 0.01
     * for i in range(5): l.call_at(t, lambda i=i: log.append(i))
     * l.call_at(t - 0.005, ...'early'); l.call_at(t + 0.001, ...'late', l.stop())
     * -> ['early', 0, 2, 1, 3, 4, 'late']: CPython leaves equal deadlines unordered (heapq on `when` only);
     * we promise scheduling order.
     */
    @Test
    void timersRunByDeadlineAndEqualDeadlinesInSchedulingOrder() {
        long t = loop.time() + Duration.ofMillis(10).toNanos();
        for (int i = 0; i < 5; i++) {
            int k = i;
            loop.callAt(t, () -> log.add(k));
        }
        loop.callAt(t - Duration.ofMillis(5).toNanos(), () -> log.add("early"));
        loop.callAt(t + Duration.ofMillis(1).toNanos(), () -> {
            log.add("late");
            loop.stop();
        });
        long start = System.nanoTime();
        loop.runForever();
        assertThat(log).containsExactly("early", 0, 1, 2, 3, 4, "late");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(t + Duration.ofMillis(1).toNanos() - start);
    }

    @Test
    void manyTimersWithRandomDeadlinesRunSortedByDeadlineThenSequence() {
        long seed = System.nanoTime();
        java.util.Random rnd = new java.util.Random(seed);
        long base = loop.time() + Duration.ofMillis(5).toNanos();
        List<long[]> ran = new ArrayList<>();
        List<TimerHandle> handles = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            long when = base + rnd.nextInt(50) * 10_000L; // few distinct deadlines: many ties
            int seq = i;
            handles.add(loop.callAt(when, () -> ran.add(new long[] {when, seq})));
        }
        int cancelled = 0;
        for (TimerHandle h : handles) {
            if (rnd.nextInt(4) == 0) {
                h.cancel();
                cancelled++;
            }
        }
        loop.callAt(base + Duration.ofMillis(2).toNanos(), loop::stop);
        loop.runForever();
        assertThat(ran).as("seed %d", seed).hasSize(2000 - cancelled);
        for (int i = 1; i < ran.size(); i++) {
            long[] a = ran.get(i - 1), b = ran.get(i);
            assertThat(a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])).as("seed %d at %d", seed, i).isTrue();
        }
    }

    /*
     * def first():
     *     log.append('first'); l.call_at(l.time() - 1, ...'timer'); l.call_soon(...'soon')
     * l.call_soon(first); l.call_soon(lambda: l.call_soon(l.stop)); l.run_forever()
     * -> ['first', 'soon', 'timer']
     */
    @Test
    void aDueTimerRunsAfterTheCallbacksAlreadyReady() {
        loop.callSoon(() -> {
            log.add("first");
            loop.callAt(loop.time() - Duration.ofSeconds(1).toNanos(), () -> log.add("timer"));
            loop.callSoon(() -> log.add("soon"));
        });
        loop.callSoon(() -> loop.callSoon(loop::stop));
        loop.runForever();
        assertThat(log).containsExactly("first", "soon", "timer");
    }

    /* th = l.call_later(10, cb): th.when() > l.time(), th.cancelled() False; th.cancel(): cancelled() True */
    @Test
    void timerHandleKnowsItsDeadlineAndCancelledTimersDoNotRun() {
        long before = loop.time();
        TimerHandle far = loop.callLater(Duration.ofSeconds(10), () -> log.add("far"));
        long after = loop.time();
        assertThat(far.when()).isBetween(before + Duration.ofSeconds(10).toNanos(),
                after + Duration.ofSeconds(10).toNanos());
        assertThat(far.isCancelled()).isFalse();
        TimerHandle at = loop.callAt(before + 1234, () -> log.add("at"));
        assertThat(at.when()).isEqualTo(before + 1234);

        TimerHandle soon = loop.callLater(Duration.ofMillis(1), () -> log.add("cancelled one"));
        soon.cancel();
        far.cancel();
        far.cancel(); // idempotent
        assertThat(soon.isCancelled()).isTrue();
        assertThat(far.isCancelled()).isTrue();
        loop.callLater(Duration.ofMillis(20), loop::stop);
        loop.runForever();
        assertThat(log).containsExactly("at");
        assertThat(loop.stats().timerCount()).isZero();
    }

    @Test
    void aCancelledHandleDoesNotRun() {
        Handle h = loop.callSoon(() -> log.add("no"));
        loop.callSoon(() -> log.add("yes"));
        h.cancel();
        assertThat(h.isCancelled()).isTrue();
        runOneIteration();
        assertThat(log).containsExactly("yes");
    }

    @Test
    void aTimerCancelledByAnEarlierCallbackOfTheSameIterationDoesNotRun() {
        long when = loop.time() - 1;
        AtomicReference<TimerHandle> victim = new AtomicReference<>();
        loop.callAt(when, () -> {
            log.add("first");
            victim.get().cancel();
        });
        victim.set(loop.callAt(when, () -> log.add("victim")));
        runOneIteration();
        assertThat(log).containsExactly("first");
    }

    @Test
    void timeIsMonotonicNanoseconds() {
        long prev = loop.time();
        for (int i = 0; i < 100_000; i++) {
            long now = loop.time();
            assertThat(now - prev).isNotNegative();
            prev = now;
        }
        long t0 = loop.time();
        long s0 = System.nanoTime();
        long busyUntil = s0 + Duration.ofMillis(2).toNanos();
        while (System.nanoTime() - busyUntil < 0) {
            Thread.onSpinWait();
        }
        assertThat(loop.time() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(2).toNanos());
    }

    /*
     * Python keeps cancelled timers in its heap and compacts when more than half are cancelled; we remove
     * them at cancel(). 10 million schedule+cancel, with a sliding window of 1,000 live timers, must never
     * hold on to more than the window.
     */
    @Test
    @Timeout(60)
    void tenMillionScheduledAndCancelledTimersKeepTheHeapBounded() {
        int window = 1000;
        int perCallback = 1_000_000;
        TimerHandle[] live = new TimerHandle[window];
        int[] ran = {0};
        long[] maxSize = {0};
        long[] maxCapacity = {0};
        Runnable never = () -> ran[0]++;
        long start = System.nanoTime();
        for (int c = 0; c < 10; c++) {
            loop.callSoon(() -> {
                for (int i = 0; i < perCallback; i++) {
                    int slot = i % window;
                    if (live[slot] != null) {
                        live[slot].cancel();
                    }
                    live[slot] = loop.callLater(Duration.ofHours(1), never);
                }
                maxSize[0] = Math.max(maxSize[0], loop.timers.size());
                maxCapacity[0] = Math.max(maxCapacity[0], loop.timers.capacity());
            });
        }
        runOneIteration();
        long took = System.nanoTime() - start;
        System.out.printf("10M timer schedule+cancel: %d ms%n", took / 1_000_000);
        assertThat(loop.stats().timerCount()).isEqualTo(window);
        assertThat(maxSize[0]).isEqualTo(window);
        assertThat(maxCapacity[0]).isLessThanOrEqualTo(4L * window);
        for (TimerHandle h : live) {
            h.cancel();
        }
        runOneIteration();
        assertThat(loop.stats().timerCount()).isZero();
        assertThat(loop.timers.capacity()).as("spare capacity given back").isEqualTo(64);
        assertThat(ran[0]).isZero();
    }

    @Test
    void aBurstOfTimersThatAllRunGivesItsHeapSpaceBack() {
        int[] ran = {0};
        for (int i = 0; i < 100_000; i++) {
            loop.callLater(Duration.ZERO, () -> ran[0]++);
        }
        assertThat(loop.timers.capacity()).isGreaterThanOrEqualTo(100_000);
        runOneIteration();
        runOneIteration();
        assertThat(ran[0]).isEqualTo(100_000);
        assertThat(loop.timers.capacity()).isEqualTo(64);
    }

    // ---- stop, run again, nesting -----------------------------------------------------------------

    /*
     * def s(): log.append('s'); l.stop(); l.call_soon(...'next')
     * l.call_soon(s); l.call_soon(...'same-batch'); l.run_forever()   -> ['s', 'same-batch']
     * l.call_soon(l.stop); l.run_forever()                             -> ['next']
     */
    @Test
    void stopInACallbackFinishesTheBatchButNotWhatItScheduledAndTheLoopRunsAgain() {
        loop.callSoon(() -> {
            log.add("s");
            loop.stop();
            loop.callSoon(() -> log.add("next"));
        });
        loop.callSoon(() -> log.add("same-batch"));
        loop.runForever();
        assertThat(log).containsExactly("s", "same-batch");
        assertThat(loop.isRunning()).isFalse();
        log.clear();

        runOneIteration();
        assertThat(log).containsExactly("next");
    }

    /*
     * l.stop(); l.call_soon(lambda: (log.append('x'), l.call_soon(...'y'))); l.run_forever() -> ['x']
     * l.call_soon(l.stop); l.run_forever()                                                    -> ['x', 'y']
     */
    @Test
    void stopBeforeRunForeverRunsExactlyOneIteration() {
        loop.stop();
        loop.callSoon(() -> {
            log.add("x");
            loop.callSoon(() -> log.add("y"));
        });
        loop.callLater(Duration.ofHours(1), () -> log.add("never")); // must not make it wait either
        loop.runForever();
        assertThat(log).containsExactly("x");
        runOneIteration();
        assertThat(log).containsExactly("x", "y");
    }

    @Test
    void isRunningOnlyWhileRunning() {
        assertThat(loop.isRunning()).isFalse();
        loop.callSoon(() -> log.add(loop.isRunning() + " " + (loop.thread() == Thread.currentThread())));
        runOneIteration();
        assertThat(log).containsExactly("true true");
        assertThat(loop.isRunning()).isFalse();
        assertThat(loop.thread()).isNull();
    }

    /*
     * def inner():
     *     try: l.run_until_complete(l.create_future())
     *     except RuntimeError as e: log.append(str(e))       -> 'This event loop is already running'
     * and the same from a coroutine (async def coro(): l.run_until_complete(...)).
     */
    @Test
    void runUntilCompleteOrRunForeverFromACallbackOfTheRunningLoopFails() {
        loop.callSoon(() -> {
            for (Runnable r : List.<Runnable>of(
                    () -> call(() -> loop.runUntilComplete(loop.createFuture())),
                    () -> call(() -> loop.runUntilComplete(() -> "orphan?")),
                    loop::runForever)) {
                try {
                    r.run();
                    log.add("no error");
                } catch (IllegalStateException e) {
                    log.add(e.getMessage());
                }
            }
            log.add(loop.allTasks().size());
        });
        runOneIteration();
        assertThat(log).hasSize(4);
        assertThat(log.subList(0, 3)).allSatisfy(m -> assertThat((String) m)
                .contains("Event loop 'under-test' is already running"));
        assertThat(log.get(3)).as("a refused runUntilComplete(coroutine) leaves no task behind").isEqualTo(0);
    }

    @Test
    void runUntilCompleteFromACoroutineFails() throws Exception {
        String msg = loop.runUntilComplete(() -> {
            try {
                loop.runUntilComplete(loop.createFuture());
                return "no error";
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
        });
        assertThat(msg).contains("already running").contains("await");
    }

    @Test
    void runningAnotherLoopInsideACallbackFails() {
        EventLoop other = EventLoop.builder().name("other").build();
        try {
            loop.callSoon(() -> {
                try {
                    other.runUntilComplete(other.createFuture());
                } catch (Exception e) {
                    log.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            });
            runOneIteration();
            assertThat(log).containsExactly("IllegalStateException: Cannot run event loop 'other' while loop"
                    + " 'under-test' is running on this thread");
        } finally {
            other.close();
        }
    }

    /** A callback that leaves the loop thread's interrupt flag set must not turn the idle loop into a spin. */
    @Test
    void anInterruptedLoopThreadStillParksWhenIdle() throws Exception {
        CountingWaiter waiter = new CountingWaiter();
        EventLoop idle = EventLoop.builder().name("interrupted").idleWaiter(waiter).build();
        try (LoopThread lt = new LoopThread(idle)) {
            lt.call(() -> {
                Thread.currentThread().interrupt(); // e.g. catch (InterruptedException e) { interrupt(); }
                return null;
            });
            int before = waiter.waits.get();
            // Observe an idle window (a measurement, not a synchronisation): a parked loop waits once or
            // twice in it; an interrupted park returns at once, so a spinning loop waits millions of times.
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            assertThat(waiter.waits.get() - before).as("waits in an idle 200 ms").isLessThanOrEqualTo(3);
            assertThat(lt.call(() -> "still serving")).isEqualTo("still serving");
        }
    }

    @Test
    void runForeverOnAVirtualThreadFails() throws Exception {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                loop.runForever();
            } catch (Throwable e) {
                error.set(e);
            }
        }).join();
        assertThat(error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("virtual thread");
        assertThat(loop.isRunning()).isFalse();
    }

    // ---- runUntilComplete -----------------------------------------------------------------------

    /* f.set_exception(e) via call_soon; run_until_complete(f) raises e itself (`x is e` -> True) */
    @Test
    void runUntilCompleteReturnsTheResultOrThrowsTheVeryExceptionEvenChecked() throws Exception {
        LoopFuture<String> ok = loop.createFuture();
        loop.callSoon(() -> ok.setResult("done"));
        assertThat(loop.runUntilComplete(ok)).isEqualTo("done");

        IOException checked = new IOException("boom");
        LoopFuture<String> bad = loop.createFuture();
        loop.callLater(Duration.ofMillis(1), () -> bad.setException(checked));
        assertThatThrownBy(() -> loop.runUntilComplete(bad)).isSameAs(checked);

        assertThat(loop.runUntilComplete(() -> 42)).isEqualTo(42);
        IllegalArgumentException unchecked = new IllegalArgumentException("from coroutine");
        assertThatThrownBy(() -> loop.runUntilComplete(() -> {
            throw unchecked;
        })).isSameAs(unchecked);
        assertThat(loop.isRunning()).isFalse();
    }

    @Test
    void runUntilCompleteOfAnAlreadyDoneFutureReturnsAtOnce() throws Exception {
        LoopFuture<Integer> f = loop.createFuture();
        f.setResult(7);
        assertThat(loop.runUntilComplete(f)).isEqualTo(7);
    }

    /* f = l.create_future(); l.call_soon(l.stop); l.run_until_complete(f)
     * -> RuntimeError: Event loop stopped before Future completed. */
    @Test
    void runUntilCompleteOfAFutureThatIsNotDoneWhenTheLoopStopsFails() {
        LoopFuture<Object> f = loop.createFuture();
        loop.callSoon(loop::stop);
        assertThatThrownBy(() -> loop.runUntilComplete(f))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("Event loop stopped before Future completed.");
        assertThat(f.isDone()).isFalse();
        // The stopper it installed is gone: completing the future later does not stop a later run.
        f.setResult("late");
        loop.callSoon(() -> loop.callSoon(() -> loop.callSoon(() -> {
            log.add("still running after the future's callbacks");
            loop.stop();
        })));
        loop.runForever();
        assertThat(log).containsExactly("still running after the future's callbacks");
    }

    @Test
    void runUntilCompleteOfAnotherLoopsFutureFails() {
        EventLoop other = EventLoop.create();
        try {
            assertThatThrownBy(() -> loop.runUntilComplete(other.createFuture()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("under-test");
        } finally {
            other.close();
        }
    }

    // ---- close ----------------------------------------------------------------------------------

    /* def c(): l.close() inside a callback -> RuntimeError: Cannot close a running event loop */
    @Test
    void closeWhileRunningFailsAndLeavesTheLoopUsable() {
        loop.callSoon(() -> {
            try {
                loop.close();
            } catch (IllegalStateException e) {
                log.add(e.getMessage());
            }
        });
        runOneIteration();
        assertThat(log).containsExactly("Cannot close a running event loop ('under-test')");
        assertThat(loop.isClosed()).isFalse();
    }

    @Test
    void closeFromAnotherThreadWhileRunningFails() throws Exception {
        try (LoopThread lt = new LoopThread(loop)) {
            assertThatThrownBy(loop::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("running");
            assertThat(lt.call(() -> "alive")).isEqualTo("alive");
        }
    }

    /* l.call_soon(...'dropped'); l.close(); l.close(); l.call_soon(print) -> RuntimeError: Event loop is closed */
    @Test
    void closeIsIdempotentAndDropsPendingCallbacks() {
        java.lang.ref.WeakReference<Object> ref = schedulePendingCallbacksHolding(new byte[1 << 20]);
        loop.close();
        loop.close();
        assertThat(loop.isClosed()).isTrue();
        assertThat(loop.stats().inboxCount()).isZero();
        assertThat(loop.timers.size()).isZero();
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc(); // nudging the GC, not waiting for another thread
        }
        assertThat(ref.get()).as("the dropped callbacks are not held on to").isNull();
        assertThat(log).isEmpty();
    }

    private java.lang.ref.WeakReference<Object> schedulePendingCallbacksHolding(Object big) {
        loop.callSoon(() -> log.add(big));
        loop.callLater(Duration.ofMillis(1), () -> log.add(big));
        loop.callSoonThreadsafe(() -> log.add(big));
        loop.execute(() -> log.add(big));
        return new java.lang.ref.WeakReference<>(big);
    }

    /* execute's form of callSoonThreadsafe(callback, onDropped), for the library's own submissions: no handle. */
    @Test
    void aDroppableGivenToExecuteIsToldInsteadOfRunWhenTheLoopClosesFirst() {
        List<String> told = new ArrayList<>();
        loop.callSoon(() -> {
            loop.execute(droppable("ready", told)); // on the loop's thread: behind the ready callbacks
            loop.stop();
        });
        loop.runForever();
        loop.execute(droppable("inbox", told)); // the loop is not running: the inbox
        loop.setDebug(true);
        loop.execute(droppable("inbox, debug mode", told)); // debug mode gives it a handle: still told
        loop.close();
        assertThat(told).containsExactly("ready", "inbox", "inbox, debug mode");
        assertThat(log).isEmpty();
    }

    private LoopSpi.Droppable droppable(String name, List<String> told) {
        return new LoopSpi.Droppable() {
            @Override
            public void run() {
                log.add(name);
            }

            @Override
            public void dropped() {
                told.add(name);
            }
        };
    }

    /*
     * async def sleeper(): await asyncio.sleep(3600)
     * ts = [l.create_task(sleeper()) for _ in range(3)]; l.run_until_complete(asyncio.sleep(0))
     * def cancel_all(): [t.cancel() for t in ts]; l.stop()
     * l.call_soon(cancel_all); l.run_forever(); l.close()
     * -> "Task was destroyed but it is pending!" three times, and nothing else
     *
     * The state a LoopPool closes a dead loop in: tasks woken (their steps queued) while their sleep timers
     * are still in the heap. close() unwinds such a task off the loop, and its sleep's finally cancels its
     * timer. That cancel used to edit the heap while close() was clearing it (an NPE in TimerQueue.clear, the
     * inbox never dropped, a bridge future left pending). Now no coroutine unwinds before the heap is gone:
     * each one finds it empty, whatever the timing.
     */
    @Test
    void closingWithWokenTasksWhoseTimersArePendingDestroysEachTaskAndReportsNothingElse() throws Exception {
        for (int round = 0; round < 5; round++) {
            List<ErrorContext> reports = java.util.Collections.synchronizedList(new ArrayList<>());
            EventLoop l = EventLoop.builder().name("woken-" + round).exceptionHandler((lp, c) -> reports.add(c)).build();
            List<Integer> timersSeenWhileUnwinding = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                tasks.add(l.createTask(() -> {
                    try {
                        Aio.sleep(Duration.ofHours(1));
                    } finally {
                        timersSeenWhileUnwinding.add(l.timers.size());
                    }
                    return null;
                }));
            }
            l.runUntilComplete(l.createTask(() -> Aio.sleep(Duration.ZERO, null)));
            l.callSoon(() -> {
                tasks.forEach(Task::cancel);
                l.stop();
            });
            l.runForever();
            java.util.concurrent.atomic.AtomicBoolean toldDropped = new java.util.concurrent.atomic.AtomicBoolean();
            l.callSoonThreadsafe(() -> { }, () -> toldDropped.set(true)); // and a submission owed an answer

            l.close();

            for (Task<Void> t : tasks) {
                t.thread.join(10_000); // each coroutine unwinds off the loop
            }
            assertThat(tasks).allSatisfy(t -> assertThat(t.isCancelled()).isTrue());
            assertThat(toldDropped).isTrue();
            assertThat(reports).hasSize(tasks.size())
                    .allSatisfy(c -> assertThat(c.message()).isEqualTo("Task was destroyed but it is pending!"));
            assertThat(timersSeenWhileUnwinding).hasSize(tasks.size()).containsOnly(0);
        }
    }

    @Test
    void everySchedulingCallOnAClosedLoopIsRejectedNamingTheLoop() {
        loop.close();
        List<Runnable> calls = List.of(
                () -> loop.callSoon(() -> { }),
                () -> loop.callLater(Duration.ZERO, () -> { }),
                () -> loop.callAt(0, () -> { }),
                () -> loop.callSoonThreadsafe(() -> { }),
                () -> loop.execute(() -> { }),
                () -> loop.createTask(() -> 1),
                loop::runForever,
                () -> call(() -> loop.runUntilComplete(() -> 1)));
        for (Runnable c : calls) {
            assertThatThrownBy(c::run).isExactlyInstanceOf(RejectedExecutionException.class)
                    .hasMessage("Event loop 'under-test' is closed");
        }
        assertThat(loop.toString()).contains("closed");
    }

    /*
     * l.close(); f = l.create_future(); f.add_done_callback(lambda f: print('cb')); f.set_result(1)
     * -> <Future pending>; set_result marks it done (result 1), then raises RuntimeError: Event loop is closed
     * Here the callback runs on the completing thread instead (see closing: nobody is left hanging).
     */
    @Test
    void aClosedLoopStillMakesFuturesWhoseCallbacksRunOnTheCompletingThread() throws Exception {
        loop.close();
        LoopFuture<Integer> f = loop.createFuture();
        assertThat(f.isDone()).isFalse();
        assertThat(f.getLoop()).isSameAs(loop);
        f.addDoneCallback(done -> log.add("cb on " + Thread.currentThread().getName()));
        f.setResult(1);
        assertThat(f.result()).isEqualTo(1);
        assertThat(log).containsExactly("cb on " + Thread.currentThread().getName());
    }

    /*
     * def boom(): raise KeyboardInterrupt
     * l.call_soon(boom); l.call_soon(lambda: print('after')); l.call_soon(l.stop)
     * l.run_forever() -> KeyboardInterrupt escapes at once; 'after' stays queued and runs on the next run
     * A deliberate difference: an Error from a callback is reported and the loop goes on (as in Netty and
     * Vert.x); only a VirtualMachineError other than StackOverflowError escapes (see FaultInjectionTest).
     */
    @Test
    void anErrorFromACallbackIsReportedAndTheLoopGoesOn() {
        List<ErrorContext> reports = new ArrayList<>();
        loop.setExceptionHandler((l, c) -> reports.add(c));
        AssertionError error = new AssertionError("not an Exception");
        loop.callSoon(() -> {
            throw error;
        });
        loop.callSoon(() -> log.add("after"));
        runOneIteration();
        assertThat(log).containsExactly("after");
        assertThat(reports).singleElement().satisfies(c -> assertThat(c.exception()).isSameAs(error));
    }

    @Test
    void runUntilCompleteOfAFutureOfAClosedLoopIsRejected() {
        LoopFuture<Object> f = loop.createFuture();
        loop.close();
        assertThatThrownBy(() -> loop.runUntilComplete(f)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("under-test");
    }

    @Test
    void nullArgumentsFailAtTheCall() {
        assertThatThrownBy(() -> loop.callSoon(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.callLater(null, () -> { })).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.callLater(Duration.ZERO, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.callAt(0, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.callSoonThreadsafe(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.runUntilComplete((LoopFuture<Object>) null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.runUntilComplete((Coroutine<Object>) null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.callExceptionHandler(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void hugeDelaysSaturateInsteadOfOverflowing() {
        TimerHandle never = loop.callLater(Duration.ofSeconds(Long.MAX_VALUE), () -> log.add("never"));
        TimerHandle past = loop.callLater(Duration.ofSeconds(Long.MIN_VALUE), () -> log.add("past"));
        assertThat(never.when() - loop.time()).isPositive();
        assertThat(past.when() - loop.time()).isNegative();
        runOneIteration();
        runOneIteration();
        assertThat(log).containsExactly("past");
    }

    // ---- errors ---------------------------------------------------------------------------------

    /*
     * l.set_exception_handler(lambda loop, ctx: seen.append(...)); def boom(): raise ValueError('x')
     * l.call_soon(boom); l.call_soon(...'alive') -> handler got message 'Exception in callback boom()...',
     * the ValueError and the handle; 'alive' ran.
     */
    @Test
    void aThrowingCallbackGoesToTheExceptionHandlerWithItsHandleAndTheLoopGoesOn() {
        List<ErrorContext> seen = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> {
            assertThat(l).isSameAs(loop);
            seen.add(ctx);
        });
        IllegalStateException boom = new IllegalStateException("x");
        Handle h = loop.callSoon(() -> {
            throw boom;
        });
        loop.callSoon(() -> log.add("alive"));
        runOneIteration();
        assertThat(log).containsExactly("alive");
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).exception()).isSameAs(boom);
        assertThat(seen.get(0).handle()).isSameAs(h);
        assertThat(seen.get(0).message()).startsWith("Exception in callback");
        assertThat(loop.getExceptionHandler()).isNotNull();
    }

    /*
     * The Executor face queues no handle: a command that throws is reported as asyncio reports a callback,
     * without a handle, whether it was given from another thread (the inbox) or on the loop's (the ready queue).
     */
    @Test
    void aCommandGivenToExecuteThatThrowsGoesToTheExceptionHandlerWithoutAHandleAndTheLoopGoesOn() {
        List<ErrorContext> seen = new ArrayList<>();
        loop.setExceptionHandler((l, c) -> seen.add(c));
        IllegalStateException boom = new IllegalStateException("x");
        Runnable culprit = new Runnable() {
            @Override
            public void run() {
                throw boom;
            }

            @Override
            public String toString() {
                return "the-culprit";
            }
        };
        loop.execute(culprit);
        loop.execute(() -> log.add("alive"));
        runOneIteration();
        loop.callSoon(() -> {
            loop.execute(culprit);
            loop.execute(() -> log.add("still alive"));
        });
        runOneIteration();
        runOneIteration();
        assertThat(log).containsExactly("alive", "still alive");
        assertThat(seen).hasSize(2).allSatisfy(c -> {
            assertThat(c.exception()).isSameAs(boom);
            assertThat(c.handle()).isNull();
            assertThat(c.message()).isEqualTo("Exception in callback the-culprit");
        });
    }

    /* A handler that raises: asyncio logs 'Unhandled error in exception handler' and the original context. */
    @Test
    void aThrowingHandlerFallsBackToTheDefaultHandler() {
        int[] calls = {0};
        loop.setExceptionHandler((l, ctx) -> {
            calls[0]++;
            throw new IllegalStateException("handler broke");
        });
        loop.callSoon(() -> {
            throw new IllegalArgumentException("original failure");
        });
        loop.callSoon(() -> log.add("alive"));
        try (LogCapture logs = new LogCapture()) {
            runOneIteration();
            assertThat(logs.text()).contains("Unhandled error in exception handler", "handler broke",
                    "Exception in callback", "original failure", "under-test");
        }
        assertThat(calls[0]).isEqualTo(1);
        assertThat(log).containsExactly("alive");
    }

    @Test
    void theDefaultHandlerLogsTheMessageLoopCallbackAndStack() {
        loop.setExceptionHandler(null);
        loop.callSoon(new Runnable() {
            @Override
            public void run() {
                throw new IllegalArgumentException("logged failure");
            }

            @Override
            public String toString() {
                return "the-culprit";
            }
        });
        try (LogCapture logs = new LogCapture()) {
            runOneIteration();
            assertThat(logs.text()).contains("Exception in callback", "the-culprit", "[loop under-test]",
                    "IllegalArgumentException: logged failure", "at io.loopbridge.core.EventLoopTest");
        }
    }

    @Test
    void aCallbackWhoseToStringThrowsIsStillReportedAndTheLoopGoesOn() {
        List<ErrorContext> seen = new ArrayList<>();
        loop.setExceptionHandler((l, c) -> seen.add(c));
        Handle h = loop.callSoon(new Runnable() {
            @Override
            public void run() {
                throw new IllegalArgumentException("run failed");
            }

            @Override
            public String toString() {
                throw new UnsupportedOperationException("toString failed");
            }
        });
        loop.callSoon(() -> log.add("alive"));
        runOneIteration();
        assertThat(log).containsExactly("alive");
        assertThat(seen).singleElement().satisfies(c -> {
            assertThat(c.handle()).isSameAs(h);
            assertThat(c.message()).contains("Exception in callback", "toString() failed",
                    "UnsupportedOperationException: toString failed");
        });
    }

    /** asyncio guards its default handler too: "Exception in default exception handler". */
    @Test
    void theDefaultHandlerFailingIsLoggedNotThrown() {
        RuntimeException unprintable = new RuntimeException() {
            @Override
            public String getMessage() {
                throw new UnsupportedOperationException("exception message failed");
            }
        };
        for (ExceptionHandler handler : java.util.Arrays.asList(null, (ExceptionHandler) (l, c) -> {
            throw new IllegalStateException("handler broke");
        })) {
            loop.setExceptionHandler(handler);
            try (LogCapture logs = new LogCapture()) {
                loop.callExceptionHandler(new ErrorContext("something failed", unprintable, null, null));
                assertThat(logs.text()).contains("Exception in default exception handler [loop under-test]",
                        "exception message failed");
            }
        }
    }

    /* 100,000 call_soon(boom) -> the handler ran 100000 times, the loop is fine. */
    @Test
    void aHundredThousandThrowingCallbacksAllReachTheHandlerAndTheLoopLives() throws Exception {
        int[] handled = {0};
        loop.setExceptionHandler((l, ctx) -> handled[0]++);
        for (int i = 0; i < 100_000; i++) {
            loop.callSoon(() -> {
                throw new IllegalStateException("boom");
            });
        }
        runOneIteration();
        assertThat(handled[0]).isEqualTo(100_000);
        LoopFuture<String> f = loop.createFuture();
        loop.callSoon(() -> f.setResult("alive"));
        assertThat(loop.runUntilComplete(f)).isEqualTo("alive");
    }

    @Test
    void aStackOverflowInACallbackIsReportedNotFatal() {
        List<Throwable> seen = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> seen.add(ctx.exception()));
        loop.callSoon(EventLoopTest::recurse);
        loop.callSoon(() -> log.add("alive"));
        runOneIteration();
        assertThat(seen).singleElement().isInstanceOf(StackOverflowError.class);
        assertThat(log).containsExactly("alive");
    }

    private static int recurse() {
        return recurse() + 1;
    }

    @Test
    void theBuilderSetsNameDebugThresholdAndHandler() {
        ExceptionHandler handler = (l, c) -> { };
        EventLoop built = EventLoop.builder().name("built").debug(true)
                .slowCallbackDuration(Duration.ofMillis(7)).exceptionHandler(handler).build();
        try {
            assertThat(built.name()).isEqualTo("built");
            assertThat(built.isDebug()).isTrue();
            assertThat(built.getSlowCallbackDuration()).isEqualTo(Duration.ofMillis(7));
            assertThat(built.getExceptionHandler()).isSameAs(handler);
            EventLoop unnamed = EventLoop.create();
            unnamed.close();
            assertThat(unnamed.name()).startsWith("loop-");
            assertThatThrownBy(() -> EventLoop.builder().slowCallbackDuration(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            built.close();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    interface ThrowingCall {
        Object call() throws Exception;
    }

    /** Lets a lambda that declares {@code throws Exception} sit in a Runnable; checked ones are test bugs. */
    private static void call(ThrowingCall c) {
        try {
            c.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
