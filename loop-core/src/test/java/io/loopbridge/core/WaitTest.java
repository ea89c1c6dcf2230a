package io.loopbridge.core;

import static io.loopbridge.testing.Coroutines.after;
import static io.loopbridge.testing.Coroutines.failAfter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Aio.wait, Aio.asCompleted and Aio.shield against CPython (checked with python3 3.11). */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WaitTest {
    @Test
    void firstCompletedReturnsTheFirstAndCancelsNothing() throws Exception {
        Aio.run(() -> {
            Task<String> a = Aio.createTask(after(5, "a"));
            Task<String> b = Aio.createTask(after(10_000, "b"));
            WaitResult<Task<String>> r = Aio.wait(List.of(a, b), ReturnWhen.FIRST_COMPLETED);
            assertThat(r.done()).containsExactly(a);
            assertThat(r.pending()).containsExactly(b);
            assertThat(b.isCancelled()).isFalse();
            b.cancel();
            return null;
        });
    }

    @Test
    void firstExceptionReturnsAtTheFirstFailureButNotAtACancellation() throws Exception {
        Aio.run(() -> {
            Task<Integer> e = Aio.createTask(failAfter(10, new IllegalStateException("boom")));
            Task<Integer> c = Aio.createTask(after(0, 1));
            Task<Integer> s = Aio.createTask(after(10_000, 2));
            WaitResult<Task<Integer>> r = Aio.wait(List.of(e, c, s), ReturnWhen.FIRST_EXCEPTION, null);
            assertThat(r.done()).containsExactly(e, c);
            assertThat(r.pending()).containsExactly(s);

            Task<Integer> x = Aio.createTask(after(0, 1));
            Task<Integer> x2 = Aio.createTask(after(10, 2));
            Task<Integer> cancelled = Aio.createTask(after(10_000, 3));
            cancelled.cancel();
            r = Aio.wait(List.of(x, x2, cancelled), ReturnWhen.FIRST_EXCEPTION, null);
            assertThat(r.done()).containsExactly(x, x2, cancelled);
            assertThat(r.pending()).isEmpty();
            s.cancel();
            return null;
        });
    }

    @Test
    void allCompletedAndTimeoutJustReturns() throws Exception {
        Aio.run(() -> {
            Task<Integer> quick = Aio.createTask(after(1, 1));
            Task<Integer> slow = Aio.createTask(after(10_000, 2));
            WaitResult<Task<Integer>> r = Aio.wait(List.of(quick, slow), ReturnWhen.ALL_COMPLETED,
                    Duration.ofMillis(30));
            assertThat(r.done()).containsExactly(quick);
            assertThat(r.pending()).containsExactly(slow);
            assertThat(slow.isCancelled()).isFalse();
            WaitResult<Task<Integer>> again = Aio.wait(List.of(quick, quick), ReturnWhen.ALL_COMPLETED);
            assertThat(again.done()).containsExactly(quick);
            assertThatThrownBy(() -> again.done().add(slow)).isInstanceOf(UnsupportedOperationException.class);
            slow.cancel();
            return null;
        });
    }

    @Test
    void waitYieldsEvenWhenEverythingIsDone() throws Exception {
        Aio.run(() -> {
            LoopFuture<Integer> done = Aio.getRunningLoop().createFuture();
            done.setResult(1);
            List<String> log = new ArrayList<>();
            Aio.getRunningLoop().callSoon(() -> log.add("cb"));
            Aio.wait(List.of(done), ReturnWhen.ALL_COMPLETED);
            assertThat(log).containsExactly("cb");
            return null;
        });
    }

    @Test
    void cancellingTheWaiterLeavesTheFuturesAlone() throws Exception {
        Aio.run(() -> {
            Task<Integer> slow = Aio.createTask(after(10_000, 2));
            Task<WaitResult<Task<Integer>>> waiter = Aio.createTask(
                    () -> Aio.wait(List.of(slow), ReturnWhen.ALL_COMPLETED));
            Aio.sleep(Duration.ZERO);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(slow.isCancelled()).isFalse();
            slow.cancel();
            return null;
        });
    }

    @Test
    void badInput() throws Exception {
        Aio.run(() -> {
            assertThatThrownBy(() -> Aio.wait(List.<LoopFuture<?>>of(), ReturnWhen.ALL_COMPLETED, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            return null;
        });
        EventLoop loop = EventLoop.create();
        try {
            LoopFuture<Object> f = loop.createFuture();
            assertThatThrownBy(() -> Aio.wait(List.of(f), ReturnWhen.ALL_COMPLETED))
                    .isInstanceOf(IllegalStateException.class);
            String message = loop.runUntilComplete(() -> {
                // a plain callback is no coroutine: wait must say so, not hang
                LoopFuture<String> r = loop.createFuture();
                loop.callSoon(() -> {
                    try {
                        Aio.wait(List.of(f), ReturnWhen.ALL_COMPLETED);
                        r.setResult("no error");
                    } catch (Exception e) {
                        r.setResult(e.getMessage());
                    }
                });
                return r.await();
            });
            assertThat(message).contains("outside a coroutine");
        } finally {
            loop.close();
        }
    }

    @Test
    void asCompletedYieldsInCompletionOrder() throws Exception {
        List<String> out = Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            LoopFuture<String> slow = loop.createFuture();
            LoopFuture<String> fast = loop.createFuture();
            LoopFuture<String> failing = loop.createFuture();
            Iterable<LoopFuture<String>> completed = Aio.asCompleted(List.of(slow, fast, failing), null);
            loop.callSoon(() -> fast.setResult("fast"));
            loop.callSoon(() -> failing.setException(new IllegalStateException("err")));
            loop.callSoon(() -> slow.setResult("slow"));
            List<String> res = new ArrayList<>();
            for (LoopFuture<String> f : completed) {
                try {
                    res.add(f.await());
                } catch (IllegalStateException e) {
                    res.add(e.getMessage());
                }
            }
            return res;
        });
        assertThat(out).containsExactly("fast", "err", "slow");
    }

    @Test
    void asCompletedTimeoutFailsTheRestWithoutCancelling() throws Exception {
        Aio.run(() -> {
            Task<String> q = Aio.createTask(after(0, "q"));
            Task<String> never = Aio.createTask(after(10_000, "never"));
            List<String> res = new ArrayList<>();
            for (LoopFuture<String> f : Aio.asCompleted(List.of(q, never), Duration.ofMillis(20))) {
                try {
                    res.add(f.await());
                } catch (TimeoutException e) {
                    res.add("timeout");
                }
            }
            assertThat(res).containsExactly("q", "timeout");
            assertThat(never.isCancelled()).isFalse();
            never.cancel();
            return null;
        });
    }

    @Test
    void asCompletedDoesNotLoseAResultWhenTheAwaitingTaskIsCancelled() throws Exception {
        Aio.run(() -> {
            LoopFuture<String> a = Aio.getRunningLoop().createFuture();
            LoopFuture<String> b = Aio.getRunningLoop().createFuture();
            var it = Aio.asCompleted(List.of(a, b), null).iterator();
            LoopFuture<String> first = it.next();
            Task<String> awaiting = Aio.createTask(first::await);
            Aio.sleep(Duration.ZERO);
            awaiting.cancel(); // cancels the claim `first`
            a.setResult("A");
            Aio.sleep(Duration.ZERO);
            assertThat(first.isCancelled()).isTrue();
            assertThat(it.next().await()).isEqualTo("A");
            b.setResult("B");
            assertThat(it.hasNext()).isFalse(); // two inputs, two claims handed out (as asyncio's count)
            return null;
        });
    }

    @Test
    void shieldProtectsTheInnerAndStillDeliversIt() throws Exception {
        Aio.run(() -> {
            Task<String> inner = Aio.createTask(after(20, "inner"));
            LoopFuture<String> outer = Aio.shield(inner);
            Task<String> waiter = Aio.createTask(() -> Aio.shield(inner).await());
            Aio.sleep(Duration.ZERO);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(inner.isCancelled()).isFalse();
            assertThat(inner.await()).isEqualTo("inner");
            assertThat(outer.await()).isEqualTo("inner");
            return null;
        });
    }

    @Test
    void shieldPassesOnFailureAndCancellationOfTheInner() throws Exception {
        Aio.run(() -> {
            IllegalStateException boom = new IllegalStateException("boom");
            Task<Integer> failing = Aio.createTask(failAfter(0, boom));
            assertThatThrownBy(() -> Aio.shield(failing).await()).isSameAs(boom);
            Task<Integer> cancelled = Aio.createTask(after(10_000, 1));
            LoopFuture<Integer> outer = Aio.shield(cancelled);
            cancelled.cancel("inner cancelled");
            assertThatThrownBy(outer::await).isInstanceOf(CancellationException.class);
            assertThat(outer.isCancelled()).isTrue();
            LoopFuture<Integer> done = Aio.getRunningLoop().createFuture();
            done.setResult(5);
            assertThat(Aio.shield(done)).isSameAs(done);
            assertThat(Aio.shield(() -> 7).await()).isEqualTo(7);
            return null;
        });
    }

    @Test
    void waitResultSetsKeepTheGivenOrder() throws Exception {
        Aio.run(() -> {
            List<Task<Integer>> ts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ts.add(Aio.createTask(after(0, i)));
            }
            Set<Task<Integer>> done = Aio.wait(ts, ReturnWhen.ALL_COMPLETED).done();
            assertThat(done).containsExactlyElementsOf(ts);
            return null;
        });
    }

    @Test
    void asCompletedOfNothingYieldsNothingAndIteratesOnce() throws Exception {
        Aio.run(() -> {
            Iterable<LoopFuture<Object>> none = Aio.asCompleted(List.<LoopFuture<Object>>of(), Duration.ofMillis(1));
            assertThat(none.iterator().hasNext()).isFalse();
            assertThatThrownBy(none::iterator).isInstanceOf(IllegalStateException.class);
            LoopFuture<String> a = Aio.getRunningLoop().createFuture();
            Iterable<LoopFuture<String>> twice = Aio.asCompleted(List.of(a, a), null);
            var it = twice.iterator();
            LoopFuture<String> only = it.next();
            assertThat(it.hasNext()).isFalse(); // a future given twice counts once, as in asyncio
            a.setResult("A");
            assertThat(only.await()).isEqualTo("A");
            return null;
        });
    }
}
