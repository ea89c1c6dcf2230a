package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Task cancellation as asyncio's, each case checked against CPython (3.11, and 3.13 for uncancel); the
 * Python is in the comments and its output is what the assertions expect.
 */
@Timeout(30)
class CancellationTest {

    /*
     * async def c():
     *     try: await asyncio.sleep(10)
     *     except asyncio.CancelledError as e: log.append(("caught", e.args)); return 42
     * t = create_task(c()); await sleep(0); t.cancel("stop"), t.cancelling()   -> True 1
     * await t -> 42; t.cancelled() -> False; t.cancelling() -> 1
     */
    @Test
    void catchingTheCancellationAndReturningMeansNotCancelled() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                    return 0;
                } catch (CancellationException e) {
                    log.add("caught " + e.getMessage());
                    Aio.sleep(Duration.ZERO); // edge-triggered: one request, one exception
                    log.add("next await ok");
                    return 42;
                }
            });
            Aio.sleep(Duration.ZERO);
            log.add(t.cancel("stop"));
            log.add(t.cancelling());
            log.add(t.await());
            log.add(t.isCancelled());
            log.add(t.cancelling());
            return null;
        });
        assertThat(log).containsExactly(true, 1, "caught stop", "next await ok", 42, false, 1);
    }

    /*
     * t.cancel("why"); await t -> CancelledError('why'), t.cancelled() True; t.cancel() -> False
     */
    @Test
    void theMessageReachesTheCoroutineAndTheAwaiterAndCancelOfADoneTaskIsFalse() throws Exception {
        Aio.run(() -> {
            List<String> seenInside = new ArrayList<>();
            Task<Void> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                } catch (CancellationException e) {
                    seenInside.add(e.getMessage());
                    throw e;
                }
                return null;
            });
            Aio.sleep(Duration.ZERO);
            assertThat(t.cancel("why")).isTrue();
            Throwable e = catchThrowable(t::await);
            assertThat(e).isInstanceOf(CancellationException.class).hasMessage("why");
            assertThat(seenInside).containsExactly("why");
            assertThat(t.isCancelled()).isTrue();
            assertThat(catchThrowable(t::result)).isSameAs(e); // the coroutine's own exception object
            assertThat(t.cancel()).isFalse();
            assertThat(t.cancelling()).isEqualTo(1);
            Task<String> finished = Aio.createTask(() -> "ok");
            assertThat(finished.await()).isEqualTo("ok");
            assertThat(finished.cancel("late")).isFalse();
            assertThat(finished.cancelling()).isZero();
            assertThat(finished.isCancelled()).isFalse();
            return null;
        });
    }

    /*
     * t = create_task(c())   # c awaits sleep(10); not started yet
     * t.cancel(), t.cancel(), t.cancelling(), t.uncancel(), t.uncancel(), t.uncancel() -> True True 2 1 0 0
     * await sleep(0); t.done()  -> 3.13: False (uncancel to zero withdrew the undelivered request;
     *                              3.11 printed True, the race CPython fixed)
     * t.cancel(); await sleep(0); t.cancelled() -> True
     */
    @Test
    void cancellingAndUncancelCountAndUncancelToZeroWithdrawsAnUndeliveredCancel() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            List<String> body = new ArrayList<>();
            Task<Void> t = Aio.createTask(() -> {
                body.add("started");
                Aio.sleep(Duration.ofSeconds(10));
                return null;
            });
            log.add(t.cancel());
            log.add(t.cancel());
            log.add(t.cancelling());
            log.add(t.uncancel());
            log.add(t.uncancel());
            log.add(t.uncancel());
            Aio.sleep(Duration.ZERO);
            log.add(t.isDone());
            log.add(body);
            log.add(t.cancel());
            Aio.sleep(Duration.ZERO);
            log.add(t.isCancelled());
            return null;
        });
        assertThat(log).containsExactly(true, true, 2, 1, 0, 0, false, List.of("started"), true, true);
    }

    @Test
    void uncancelAboveZeroKeepsThePendingCancel() throws Exception {
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                Aio.sleep(Duration.ofSeconds(10));
                return null;
            });
            t.cancel("a");
            t.cancel("b");
            assertThat(t.uncancel()).isEqualTo(1);
            // CPython: CancelledError('b'), the latest request's message
            assertThat(catchThrowable(t::await)).isInstanceOf(CancellationException.class).hasMessage("b");
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
    }

    /*
     * f = loop.create_future(); async def c(): return await f
     * t = create_task(c()); await sleep(0); t.cancel("m"); f.cancelled(), t.done() -> True False
     * await sleep(0); t.cancelled() -> True
     */
    @Test
    void cancellingATaskThatAwaitsAFutureCancelsThatFuture() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<String> f = Aio.getRunningLoop().createFuture();
            Task<String> t = Aio.createTask(f::await);
            Aio.sleep(Duration.ZERO);
            t.cancel("m");
            log.add(f.isCancelled());
            log.add(t.isDone());
            Aio.sleep(Duration.ZERO);
            log.add(t.isCancelled());
            log.add(catchThrowable(f::result).getMessage());
            log.add(catchThrowable(t::result).getMessage());
            return null;
        });
        assertThat(log).containsExactly(true, false, true, "m", "m");
    }

    /* async def c(): log.append("ran"); t = create_task(c()); t.cancel(); await t -> log [] , cancelled */
    @Test
    void aTaskCancelledBeforeItStartedNeverRunsItsBody() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                log.add("ran");
                return null;
            });
            t.cancel("early");
            assertThat(catchThrowable(t::await)).isInstanceOf(CancellationException.class).hasMessage("early");
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
        assertThat(log).isEmpty();
    }

    /*
     * async def inner(): await sleep(10)
     * async def outer(): i = create_task(inner()); try: await i  finally: print(i.cancelled(), i.done())
     * o = create_task(outer()); await sleep(0); await sleep(0); o.cancel("x"); await o
     * -> outer finally: True True; CancelledError('x'), o.cancelled() True
     */
    @Test
    void cancellingATaskAwaitingAnotherTaskCancelsTheInnerOne() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> o = Aio.createTask(() -> {
                Task<Void> i = Aio.createTask(() -> {
                    Aio.sleep(Duration.ofSeconds(10));
                    return null;
                });
                try {
                    return i.await();
                } finally {
                    log.add("inner cancelled=" + i.isCancelled() + " done=" + i.isDone());
                }
            });
            Aio.sleep(Duration.ZERO);
            Aio.sleep(Duration.ZERO);
            o.cancel("x");
            Throwable e = catchThrowable(o::await);
            log.add(e.getClass().getSimpleName() + " " + e.getMessage());
            log.add(o.isCancelled());
            return null;
        });
        assertThat(log).containsExactly("inner cancelled=true done=true", "CancellationException x", true);
    }

    /*
     * done = create_future(); done.set_result(1)
     * async def c():
     *     current_task().cancel("self"); log.append(("done-await", await done)); log.append("still running")
     *     try: await sleep(0)
     *     except CancelledError as e: log.append(("cancelled at sleep0", e.args)); raise
     * -> [('done-await', 1), 'still running', ('cancelled at sleep0', ('self',))], cancelled
     */
    @Test
    void aPendingCancelIsDeliveredAtTheNextRealSuspensionNotAtAnAwaitOfADoneFuture() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<Integer> done = Aio.getRunningLoop().createFuture();
            done.setResult(1);
            Task<Void> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("self");
                log.add("done-await " + done.await());
                log.add("still running");
                try {
                    Aio.sleep(Duration.ZERO);
                } catch (CancellationException e) {
                    log.add("cancelled at sleep0 " + e.getMessage());
                    throw e;
                }
                return null;
            });
            catchThrowable(t::await);
            log.add(t.isCancelled());
            return null;
        });
        assertThat(log).containsExactly("done-await 1", "still running", "cancelled at sleep0 self", true);
    }

    /*
     * async def d(): current_task().cancel("self2"); await done
     *     try: await pend
     *     except CancelledError as e: log.append(("cancelled at pend", e.args, pend.cancelled())); raise
     * -> [('cancelled at pend', ('self2',), True)], cancelled
     */
    @Test
    void aPendingCancelCancelsTheFutureTheTaskSuspendsOnNext() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<Integer> done = Aio.getRunningLoop().createFuture();
            done.setResult(1);
            LoopFuture<Integer> pend = Aio.getRunningLoop().createFuture();
            Task<Void> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("self2");
                done.await();
                try {
                    pend.await();
                } catch (CancellationException e) {
                    log.add("cancelled at pend " + e.getMessage() + " " + pend.isCancelled());
                    throw e;
                }
                return null;
            });
            catchThrowable(t::await);
            log.add(t.isCancelled());
            return null;
        });
        assertThat(log).containsExactly("cancelled at pend self2 true", true);
    }

    /*
     * target awaits f; f.set_result(7); t.cancel("late") -> True (its wake-up is queued, not yet run)
     * -> the target sees CancelledError('late') at that await, not 7; t.cancelled() True
     */
    @Test
    void cancelJustAfterTheAwaitedFutureCompletedWinsOverTheResult() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<Integer> f = Aio.getRunningLoop().createFuture();
            Task<Void> t = Aio.createTask(() -> {
                try {
                    log.add("v " + f.await());
                } catch (CancellationException e) {
                    log.add("cancelled " + e.getMessage());
                    throw e;
                }
                return null;
            });
            Aio.sleep(Duration.ZERO);
            f.setResult(7);
            log.add(t.cancel("late"));
            catchThrowable(t::await);
            log.add(t.isCancelled());
            return null;
        });
        assertThat(log).containsExactly(true, "cancelled late", true);
    }

    /* async def c(): current_task().cancel(); return 5  -> await t raises CancelledError; cancelled */
    @Test
    void aTaskCancelledDuringItsLastStepIsCancelledEvenIfItReturns() throws Exception {
        Aio.run(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("bye");
                return 5;
            });
            assertThat(catchThrowable(t::await)).isInstanceOf(CancellationException.class).hasMessage("bye");
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
    }

    /* A coroutine that fails with its own error during its last step with a pending cancel: the error wins. */
    @Test
    void anErrorWithAPendingCancelIsTheTasksException() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        Aio.run(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                Aio.currentTask().cancel();
                throw boom;
            });
            assertThat(catchThrowable(t::await)).isSameAs(boom);
            assertThat(t.isCancelled()).isFalse();
            return null;
        });
    }

    @Test
    void aCancellationEscapingFromAnUnrelatedSourceCancelsTheTask() throws Exception {
        // asyncio: a CancelledError raised by the coroutine itself cancels its task too.
        Aio.run(() -> {
            Task<Integer> t = Aio.createTask(() -> {
                throw new CancellationException("own");
            });
            assertThat(catchThrowable(t::await)).isInstanceOf(CancellationException.class).hasMessage("own");
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancelling()).isZero();
            return null;
        });
    }

    @Test
    void cancelFromAnotherThreadWhileTheLoopRunsSaysWhatToUse() throws Exception {
        EventLoop loop = EventLoop.create();
        try {
            CountDownLatch started = new CountDownLatch(1);
            Task<String> t = loop.createTask(() -> {
                started.countDown();
                try {
                    return Aio.sleep(Duration.ofSeconds(30), "slept");
                } catch (CancellationException e) {
                    return "cancelled via " + e.getMessage();
                }
            });
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    loop.runUntilComplete(t);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> t.cancel("x")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("callSoonThreadsafe");
            loop.callSoonThreadsafe(() -> t.cancel("threadsafe"));
            assertThat(runner.join(Duration.ofSeconds(10))).isTrue();
            assertThat(t.result()).isEqualTo("cancelled via threadsafe");
        } finally {
            loop.close();
        }
    }

    /* Cancelling a task suspended in sleep(0): delivered when its queued step runs. */
    @Test
    void cancelWhileSuspendedInSleepZero() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                log.add("before");
                try {
                    Aio.sleep(Duration.ZERO);
                } catch (CancellationException e) {
                    log.add("cancelled " + e.getMessage());
                    throw e;
                }
                log.add("never");
                return null;
            });
            Aio.sleep(Duration.ZERO); // t ran to its sleep(0); its next step is queued behind us
            t.cancel("z");
            catchThrowable(t::await);
            assertThat(t.isCancelled()).isTrue();
            return null;
        });
        assertThat(log).containsExactly("before", "cancelled z");
    }

    /*
     * async def c():
     *     asyncio.current_task().cancel("self")
     *     try: await asyncio.sleep(10)
     *     except CancelledError as e: log.append(("cancelled at sleep", e.args)); raise
     * t = create_task(c()); await sleep(0); await sleep(0); t.cancelled()
     * -> [('cancelled at sleep', ('self',))], True
     */
    @Test
    void aTaskThatCancelledItselfIsCancelledAtItsNextSleep() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                Aio.currentTask().cancel("self");
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                } catch (CancellationException e) {
                    log.add("cancelled at sleep " + e.getMessage());
                    throw e;
                }
                return null;
            });
            Aio.sleep(Duration.ZERO);
            Aio.sleep(Duration.ZERO);
            log.add(t.isCancelled());
            return null;
        });
        assertThat(log).containsExactly("cancelled at sleep self", true);
    }

    /*
     * async def c():
     *     try: await asyncio.sleep(10); log.append("slept")
     *     except CancelledError as e: log.append(("cancelled", e.args)); raise
     * t = create_task(c()); await sleep(0); t.cancel("m"); t.uncancel()
     * await sleep(0); await sleep(0); t.cancelled(), t.cancelling()
     * -> [('cancelled', ('m',))], True 0: the sleep was woken, withdrawing the request does not put it back
     */
    @Test
    void aSleepWokenByCancelStaysCancelledWhenTheRequestIsWithdrawn() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                    log.add("slept");
                } catch (CancellationException e) {
                    log.add("cancelled " + e.getMessage());
                    throw e;
                }
                return null;
            });
            Aio.sleep(Duration.ZERO);
            t.cancel("m");
            t.uncancel();
            Aio.sleep(Duration.ZERO);
            Aio.sleep(Duration.ZERO);
            log.add(t.isCancelled());
            log.add(t.cancelling());
            return null;
        });
        assertThat(log).containsExactly("cancelled m", true, 0);
    }
}
