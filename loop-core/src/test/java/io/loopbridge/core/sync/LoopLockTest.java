package io.loopbridge.core.sync;

import static io.loopbridge.testing.Coroutines.yieldOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LoopLock, LoopSemaphore, LoopBoundedSemaphore against CPython 3.12+ locks.py (checked with python3). */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopLockTest {
    static Task<Void> acquiring(LoopLock lock) {
        return Aio.createTask(() -> {
            lock.acquire();
            return null;
        });
    }

    static Task<Void> acquiring(LoopSemaphore sem) {
        return Aio.createTask(() -> {
            sem.acquire();
            return null;
        });
    }

    @Test
    void lockIsFifoAndWorksWithTryWithResources() throws Exception {
        List<Integer> order = new ArrayList<>();
        Aio.run(() -> {
            LoopLock lock = new LoopLock();
            lock.acquire();
            List<Task<Void>> ts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int n = i;
                ts.add(Aio.createTask(() -> {
                    try (var _ = lock.hold()) {
                        assertThat(lock.isLocked()).isTrue();
                        order.add(n);
                        yieldOnce();
                    }
                    return null;
                }));
            }
            yieldOnce();
            lock.release();
            Aio.gather(ts).await();
            assertThat(lock.isLocked()).isFalse();
            return null;
        });
        assertThat(order).containsExactly(0, 1, 2);
    }

    @Test
    void releasingAnUnlockedLockFails() throws Exception {
        Aio.run(() -> {
            assertThatThrownBy(() -> new LoopLock().release()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Lock is not acquired.");
            return null;
        });
    }

    @Test
    void waiterCancelledBeforeWakeUpIsSkipped() throws Exception {
        Aio.run(() -> {
            LoopLock lock = new LoopLock();
            lock.acquire();
            Task<Void> a = acquiring(lock);
            Task<Void> b = acquiring(lock);
            yieldOnce();
            a.cancel();
            yieldOnce();
            assertThat(a.isCancelled()).isTrue();
            lock.release();
            yieldOnce();
            assertThat(b.isDone()).isTrue();
            assertThat(lock.isLocked()).isTrue();
            return null;
        });
    }

    @Test
    void waiterCancelledAfterWakeUpPassesTheLockOn() throws Exception {
        Aio.run(() -> {
            LoopLock lock = new LoopLock();
            lock.acquire();
            Task<Void> a = acquiring(lock);
            Task<Void> b = acquiring(lock);
            yieldOnce();
            lock.release(); // wakes a ...
            a.cancel();     // ... which is cancelled before it resumes
            yieldOnce();
            yieldOnce();
            assertThat(a.isCancelled()).isTrue();
            assertThat(b.isDone()).isTrue(); // no lost wake-up
            assertThat(lock.isLocked()).isTrue();
            return null;
        });
    }

    @Test
    void aNewcomerDoesNotOvertakeAWokenWaiter() throws Exception {
        Aio.run(() -> {
            LoopLock lock = new LoopLock();
            lock.acquire();
            Task<Void> a = acquiring(lock);
            yieldOnce();
            lock.release();
            Task<Void> c = acquiring(lock);
            yieldOnce();
            assertThat(a.isDone()).isTrue();
            assertThat(c.isDone()).isFalse();
            lock.release();
            yieldOnce();
            yieldOnce();
            assertThat(c.isDone()).isTrue();
            return null;
        });
    }

    @Test
    void lockIsBoundToOneLoopAndConfinedToItsThread() throws Exception {
        LoopLock lock = new LoopLock();
        Aio.run(() -> {
            lock.acquire();
            Task<Void> waiter = acquiring(lock); // binds the lock to this loop
            yieldOnce();
            waiter.cancel();
            yieldOnce();
            lock.release();
            return null;
        });
        assertThatThrownBy(() -> Aio.run(() -> {
            lock.acquire();
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("bound to loop");
        assertThatThrownBy(lock::release).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no event loop runs");
    }

    @Test
    void semaphoreCountsPermitsInFifoOrder() throws Exception {
        Aio.run(() -> {
            LoopSemaphore sem = new LoopSemaphore(2);
            sem.acquire();
            try (var _ = sem.hold()) {
                assertThat(sem.availablePermits()).isZero();
                assertThat(sem.isLocked()).isTrue();
            }
            assertThat(sem.availablePermits()).isEqualTo(1);
            assertThatThrownBy(() -> new LoopSemaphore(-1)).isInstanceOf(IllegalArgumentException.class);
            return null;
        });
    }

    @Test
    void semaphoreWaiterCancelledAfterWakeUpGivesThePermitBack() throws Exception {
        Aio.run(() -> {
            LoopSemaphore sem = new LoopSemaphore(1);
            sem.acquire();
            Task<Void> a = acquiring(sem);
            Task<Void> b = acquiring(sem);
            yieldOnce();
            sem.release(); // hands the permit to a ...
            a.cancel();    // ... cancelled before it resumes
            yieldOnce();
            yieldOnce();
            assertThat(a.isCancelled()).isTrue();
            assertThat(b.isDone()).isTrue();
            assertThat(sem.availablePermits()).isZero();
            assertThat(sem.isLocked()).isTrue();
            sem.release();
            assertThat(sem.availablePermits()).isEqualTo(1); // no permit leaked or lost
            return null;
        });
    }

    @Test
    void semaphoreWaiterCancelledBeforeWakeUpTakesNothing() throws Exception {
        Aio.run(() -> {
            LoopSemaphore sem = new LoopSemaphore(0);
            Task<Void> a = acquiring(sem);
            Task<Void> b = acquiring(sem);
            yieldOnce();
            a.cancel();
            yieldOnce();
            sem.release();
            yieldOnce();
            assertThat(b.isDone()).isTrue();
            assertThat(sem.availablePermits()).isZero();
            return null;
        });
    }

    @Test
    void semaphoreNewcomersWaitBehindEarlierWaitersEvenIfPermitsAreFree() throws Exception {
        Aio.run(() -> {
            LoopSemaphore sem = new LoopSemaphore(0);
            Task<Void> a = acquiring(sem);
            yieldOnce();
            sem.release(); // a is woken and its permit taken
            assertThat(sem.isLocked()).isTrue();
            sem.release(); // one permit free, but a waiter (a, woken) is still queued
            Task<Void> c = acquiring(sem);
            yieldOnce();
            yieldOnce();
            assertThat(a.isDone() && c.isDone()).isTrue();
            assertThat(sem.availablePermits()).isZero();
            return null;
        });
    }

    @Test
    void boundedSemaphoreRefusesOverRelease() throws Exception {
        Aio.run(() -> {
            LoopBoundedSemaphore bs = new LoopBoundedSemaphore(1);
            assertThatThrownBy(bs::release).isInstanceOf(IllegalStateException.class)
                    .hasMessage("BoundedSemaphore released too many times");
            bs.acquire();
            bs.release();
            assertThat(bs.availablePermits()).isEqualTo(1);
            return null;
        });
    }

    @Test
    void cancellationOfAnAcquiringTaskPropagates() throws Exception {
        Aio.run(() -> {
            LoopLock lock = new LoopLock();
            lock.acquire();
            Task<Void> a = acquiring(lock);
            yieldOnce();
            a.cancel();
            assertThatThrownBy(a::await).isInstanceOf(CancellationException.class);
            lock.release();
            assertThat(lock.isLocked()).isFalse();
            lock.acquire(); // the cancelled waiter left nothing behind
            return null;
        });
    }

    @Test
    void createdOutsideAnyLoopAndBoundOnFirstUse() throws Exception {
        LoopSemaphore sem = new LoopSemaphore(1);
        EventLoop loop = EventLoop.create();
        try {
            loop.runUntilComplete(() -> {
                sem.acquire();
                sem.release();
                return null;
            });
        } finally {
            loop.close();
        }
        assertThat(sem.availablePermits()).isEqualTo(1);
    }
}
