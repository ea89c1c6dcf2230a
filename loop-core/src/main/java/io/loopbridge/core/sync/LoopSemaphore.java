package io.loopbridge.core.sync;

import io.loopbridge.core.LoopFuture;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A counter of permits for tasks of one loop: {@code asyncio.Semaphore}, with CPython 3.12's fixes.
 * {@link #acquire()} takes a permit, waiting in FIFO order while there is none (or while earlier waiters
 * have not had their turn); {@link #release()} returns one.
 *
 * <p>A task cancelled while waiting never leaks a permit: if it had already been handed one (woken), it
 * gives it back and the next waiter is woken. Thread-safety: loop thread only (its tasks and callbacks);
 * bound to the first loop that makes a task wait on it.
 */
public sealed class LoopSemaphore extends LoopBound permits LoopBoundedSemaphore {
    private final ArrayDeque<LoopFuture<Boolean>> waiters = new ArrayDeque<>();
    /** Free permits; a woken waiter's permit is already taken off when it is woken. */
    int value;

    /**
     * @param permits the initial number of permits
     * @throws IllegalArgumentException if negative
     */
    public LoopSemaphore(int permits) {
        if (permits < 0) {
            throw new IllegalArgumentException("Semaphore initial value must be >= 0: " + permits);
        }
        this.value = permits;
    }

    /**
     * Whether {@link #acquire()} would wait, because no permit is free or earlier waiters come first:
     * {@code Semaphore.locked()}.
     */
    public boolean isLocked() {
        if (value == 0) {
            return true;
        }
        for (LoopFuture<Boolean> w : waiters) {
            if (!w.isCancelled()) {
                return true;
            }
        }
        return false;
    }

    /** Free permits now (permits handed to woken waiters that have not resumed yet are not free). */
    public int availablePermits() {
        return value;
    }

    /**
     * Takes a permit, suspending the current task until one is free and earlier waiters are served:
     * {@code Semaphore.acquire()}. Only inside a coroutine.
     *
     * @throws CancellationException if the task is cancelled while waiting (it then holds no permit)
     */
    public void acquire() throws Exception {
        checkLoop();
        if (!isLocked()) {
            value--;
            return;
        }
        LoopFuture<Boolean> fut = newWaiter();
        waiters.add(fut);
        try {
            try {
                fut.await();
            } finally {
                waiters.remove(fut);
            }
        } catch (CancellationException e) {
            if (fut.isDone() && !fut.isCancelled()) {
                value++; // we were handed a permit but will not use it: give it back
            }
            throw e;
        } finally {
            // Newcomers may have queued behind us while permits were free: wake as many as there are permits.
            while (value > 0 && wakeUpNext()) {
                // keep waking
            }
        }
    }

    /** Takes a permit and returns a handle whose {@code close()} releases it, for try-with-resources. */
    public LoopLock.Held hold() throws Exception {
        acquire();
        return this::release;
    }

    /** Returns a permit and wakes the first waiter: {@code Semaphore.release()}. */
    public void release() {
        checkLoop();
        value++;
        wakeUpNext();
    }

    /** Hands a permit to the first waiter not yet woken; false if there is none. */
    private boolean wakeUpNext() {
        for (LoopFuture<Boolean> fut : waiters) {
            if (fut.trySetResult(true)) {
                value--;
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + (isLocked() ? "locked" : "unlocked, value:" + value)
                + (waiters.isEmpty() ? "" : ", waiters:" + waiters.size()) + "]";
    }
}
