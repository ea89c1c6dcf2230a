package io.loopbridge.core.sync;

import static io.loopbridge.testing.Coroutines.yieldOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LoopEvent, LoopCondition (CPython 3.13) and LoopBarrier, checked against python3. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopEventConditionBarrierTest {
    @Test
    void setWakesEveryWaiterEvenIfClearedBeforeTheyResume() throws Exception {
        Aio.run(() -> {
            LoopEvent ev = new LoopEvent();
            List<Task<String>> ws = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ws.add(Aio.createTask(() -> {
                    ev.await();
                    return "woke";
                }));
            }
            yieldOnce();
            ev.set();
            ev.clear();
            assertThat(Aio.<String>gather(ws).await()).containsExactly("woke", "woke", "woke");
            assertThat(ev.isSet()).isFalse();
            ev.set();
            ev.await(); // set: returns at once
            return null;
        });
    }

    @Test
    void cancelledEventWaiterLeavesNoTrace() throws Exception {
        Aio.run(() -> {
            LoopEvent ev = new LoopEvent();
            Task<Void> a = Aio.createTask(() -> {
                ev.await();
                return null;
            });
            Task<Void> b = Aio.createTask(() -> {
                ev.await();
                return null;
            });
            yieldOnce();
            a.cancel();
            assertThatThrownBy(a::await).isInstanceOf(CancellationException.class);
            assertThat(ev.toString()).contains("waiters:1");
            ev.set();
            b.await();
            assertThat(ev.toString()).doesNotContain("waiters");
            return null;
        });
    }

    @Test
    void conditionAwaitReleasesAndRetakesTheLock() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            LoopCondition cond = new LoopCondition();
            int[] items = {0};
            Task<Void> consumer = Aio.createTask(() -> {
                try (var _ = cond.hold()) {
                    cond.awaitFor(() -> items[0] > 0);
                    assertThat(cond.isLocked()).isTrue();
                    log.add("consumed " + items[0]);
                }
                return null;
            });
            yieldOnce();
            assertThat(cond.isLocked()).isFalse(); // the consumer released it while waiting
            try (var _ = cond.hold()) {
                items[0] = 5;
                cond.signal();
            }
            consumer.await();
            assertThatThrownBy(cond::await).isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot wait on un-acquired lock");
            assertThatThrownBy(cond::signalAll).isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot notify on un-acquired lock");
            return null;
        });
        assertThat(log).containsExactly("consumed 5");
    }

    @Test
    void signalWakesAtMostNAndSignalAllWakesEveryone() throws Exception {
        Aio.run(() -> {
            LoopCondition cond = new LoopCondition(new LoopLock());
            List<Integer> woke = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                Aio.createTask(() -> {
                    try (var _ = cond.hold()) {
                        cond.await();
                        woke.add(n);
                    }
                    return null;
                });
            }
            yieldOnce();
            try (var _ = cond.hold()) {
                cond.signal(2);
            }
            for (int i = 0; i < 5; i++) {
                yieldOnce();
            }
            assertThat(woke).containsExactly(0, 1);
            try (var _ = cond.hold()) {
                cond.signalAll();
            }
            for (int i = 0; i < 5; i++) {
                yieldOnce();
            }
            assertThat(woke).containsExactly(0, 1, 2, 3);
            return null;
        });
    }

    @Test
    void aSignalledWaiterThatIsCancelledPassesTheSignalOn() throws Exception {
        // CPython 3.13 (gh-112202); 3.11 loses the signal and y waits forever.
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            LoopCondition cond = new LoopCondition();
            Task<Void> x = Aio.createTask(() -> {
                try (var _ = cond.hold()) {
                    cond.await();
                    log.add("x");
                }
                return null;
            });
            Task<Void> y = Aio.createTask(() -> {
                try (var _ = cond.hold()) {
                    cond.await();
                    log.add("y");
                }
                return null;
            });
            yieldOnce();
            try (var _ = cond.hold()) {
                cond.signal(1); // x is signalled ...
            }
            x.cancel();         // ... and cancelled before it resumes
            assertThatThrownBy(x::await).isInstanceOf(CancellationException.class);
            y.await();
            return null;
        });
        assertThat(log).containsExactly("y");
    }

    @Test
    void aCancelledWaiterRetakesTheLockBeforeTheCancellationLeaves() throws Exception {
        List<Boolean> lockedInHandler = new ArrayList<>();
        Aio.run(() -> {
            LoopCondition cond = new LoopCondition();
            Task<Void> z = Aio.createTask(() -> {
                try (var _ = cond.hold()) {
                    try {
                        cond.await();
                    } catch (CancellationException e) {
                        lockedInHandler.add(cond.isLocked());
                        throw e;
                    }
                }
                return null;
            });
            yieldOnce();
            cond.acquire(); // hold the lock so the cancelled waiter must wait to retake it
            z.cancel();
            yieldOnce();
            assertThat(z.isDone()).isFalse();
            cond.release();
            assertThatThrownBy(z::await).isInstanceOf(CancellationException.class);
            assertThat(cond.isLocked()).isFalse();
            return null;
        });
        assertThat(lockedInHandler).containsExactly(true);
    }

    @Test
    void barrierReleasesAFullRoundWithArrivalIndexesAndIsReusable() throws Exception {
        Aio.run(() -> {
            LoopBarrier bar = new LoopBarrier(3);
            for (int round = 0; round < 2; round++) {
                List<Task<Integer>> ts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    ts.add(Aio.createTask(bar::await));
                }
                assertThat(Aio.<Integer>gather(ts).await()).containsExactlyInAnyOrder(0, 1, 2);
                assertThat(bar.waiting()).isZero();
                assertThat(bar.isBroken()).isFalse();
            }
            assertThat(bar.parties()).isEqualTo(3);
            assertThatThrownBy(() -> new LoopBarrier(0)).isInstanceOf(IllegalArgumentException.class);
            return null;
        });
    }

    @Test
    void abortBreaksWaitersAndLaterCallersUntilReset() throws Exception {
        Aio.run(() -> {
            LoopBarrier bar = new LoopBarrier(3);
            Task<Integer> t = Aio.createTask(bar::await);
            yieldOnce();
            assertThat(bar.waiting()).isEqualTo(1);
            bar.abort();
            assertThatThrownBy(t::await).isInstanceOf(BrokenBarrierException.class);
            assertThat(bar.isBroken()).isTrue();
            assertThatThrownBy(bar::await).isInstanceOf(BrokenBarrierException.class);
            bar.reset();
            assertThat(bar.isBroken()).isFalse();
            Task<Integer> u = Aio.createTask(bar::await);
            yieldOnce();
            bar.reset();
            assertThatThrownBy(u::await).isInstanceOf(BrokenBarrierException.class);
            assertThat(bar.isBroken()).isFalse();
            return null;
        });
    }

    @Test
    void aCancelledBarrierWaiterLeavesTheCountRight() throws Exception {
        Aio.run(() -> {
            LoopBarrier bar = new LoopBarrier(2);
            Task<Integer> t = Aio.createTask(bar::await);
            yieldOnce();
            t.cancel();
            assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
            assertThat(bar.waiting()).isZero();
            List<Task<Integer>> ts = List.of(Aio.createTask(bar::await), Aio.createTask(bar::await));
            assertThat(Aio.<Integer>gather(ts).await()).containsExactlyInAnyOrder(0, 1);
            return null;
        });
    }
}
