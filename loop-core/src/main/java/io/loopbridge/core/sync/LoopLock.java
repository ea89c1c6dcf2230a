package io.loopbridge.core.sync;

import io.loopbridge.core.LoopFuture;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A mutual-exclusion lock for tasks of one loop: {@code asyncio.Lock}. Not owned by a task (any task may
 * release it) and not reentrant. Fair: waiters acquire in FIFO order, and a newcomer does not overtake a
 * waiter that was woken but has not resumed yet.
 *
 * <pre>{@code
 * try (var held = lock.hold()) {   // async with lock:
 *     ...
 * }
 * }</pre>
 *
 * <p>A task cancelled while it waits leaves the lock consistent: if it had already been handed the lock
 * (woken) it passes it on to the next waiter. Thread-safety: loop thread only (its tasks and callbacks);
 * bound to the first loop that makes a task wait on it.
 */
public final class LoopLock extends LoopBound {
    private final ArrayDeque<LoopFuture<Boolean>> waiters = new ArrayDeque<>();
    private boolean locked;

    /** A new lock, not held: {@code asyncio.Lock()}. */
    public LoopLock() {
    }

    /** Whether the lock is held: {@code Lock.locked()}. */
    public boolean isLocked() {
        return locked;
    }

    /**
     * Acquires the lock, suspending the current task until it is free and every earlier waiter had its
     * turn: {@code Lock.acquire()}. Only inside a coroutine.
     *
     * @throws CancellationException if the task is cancelled while waiting (the lock is then not held)
     */
    public void acquire() throws Exception {
        checkLoop();
        // Jumping the queue when every waiter was cancelled is only an optimisation of fairness.
        if (!locked && allCancelled()) {
            locked = true;
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
            // Woken and then cancelled, or cancelled while the lock is free: the head must still run.
            if (!locked) {
                wakeUpFirst();
            }
            throw e;
        }
        locked = true;
    }

    /** Acquires the lock and returns a handle whose {@code close()} releases it, for try-with-resources. */
    public Held hold() throws Exception {
        acquire();
        return this::release;
    }

    /**
     * Releases the lock and wakes the first waiter: {@code Lock.release()}.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void release() {
        checkLoop();
        if (!locked) {
            throw new IllegalStateException("Lock is not acquired.");
        }
        locked = false;
        wakeUpFirst();
    }

    private boolean allCancelled() {
        for (LoopFuture<Boolean> w : waiters) {
            if (!w.isCancelled()) {
                return false;
            }
        }
        return true;
    }

    private void wakeUpFirst() {
        LoopFuture<Boolean> first = waiters.peek();
        // A done head is already woken and about to take the lock.
        if (first != null) {
            first.trySetResult(true);
        }
    }

    @Override
    public String toString() {
        return "LoopLock[" + (locked ? "locked" : "unlocked") + (waiters.isEmpty() ? "" : ", waiters:" + waiters.size()) + "]";
    }

    /** A held lock (or semaphore permit); closing releases it. */
    @FunctionalInterface
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }
}
