package io.loopbridge.core.sync;

import io.loopbridge.core.LoopFuture;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * A condition variable for tasks of one loop: {@code asyncio.Condition} (CPython 3.13). It owns (or
 * shares) a {@link LoopLock}; {@link #await()} releases it, waits for a {@link #signal}, and takes it back.
 * {@code Object.notify()} and {@code notifyAll()} are final, hence {@link #signal(int)} and
 * {@link #signalAll()} for asyncio's {@code notify}.
 *
 * <p>Wake-ups may be spurious, so wait in a loop or with {@link #awaitFor}. A task cancelled while waiting
 * still re-takes the lock before the {@link CancellationException} leaves {@code await()}, and a
 * signal it may already have received is passed on to another waiter. Thread-safety: loop thread only;
 * bound to the first loop that makes a task wait on it.
 */
public final class LoopCondition extends LoopBound {
    private final LoopLock lock;
    private final ArrayDeque<LoopFuture<Boolean>> waiters = new ArrayDeque<>();

    /** A condition with its own lock. */
    public LoopCondition() {
        this(new LoopLock());
    }

    /** A condition over a shared lock. */
    public LoopCondition(LoopLock lock) {
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    /** Acquires the underlying lock. See {@link LoopLock#acquire()}. */
    public void acquire() throws Exception {
        lock.acquire();
    }

    /** Releases the underlying lock. See {@link LoopLock#release()}. */
    public void release() {
        lock.release();
    }

    /** Acquires the underlying lock for try-with-resources ({@code async with cond:}). */
    public LoopLock.Held hold() throws Exception {
        return lock.hold();
    }

    public boolean isLocked() {
        return lock.isLocked();
    }

    /**
     * Releases the lock, suspends until signalled, and re-acquires the lock before returning or throwing:
     * {@code Condition.wait()}. Only inside a coroutine.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void await() throws Exception {
        if (!lock.isLocked()) {
            throw new IllegalStateException("cannot wait on un-acquired lock");
        }
        LoopFuture<Boolean> fut = newWaiter();
        lock.release();
        try {
            try {
                waiters.add(fut);
                try {
                    fut.await();
                } finally {
                    waiters.remove(fut);
                }
            } finally {
                reacquire();
            }
        } catch (Throwable t) {
            // We may have been signalled before this failure (a cancellation): pass the signal on.
            // At worst another waiter wakes spuriously, which the protocol allows.
            signalWaiters(1);
            throw t;
        }
    }

    /** The lock must be held again whatever happened; a cancellation meanwhile is thrown afterwards. */
    private void reacquire() throws Exception {
        CancellationException cancelled = null;
        while (true) {
            try {
                lock.acquire();
                break;
            } catch (CancellationException e) {
                cancelled = e;
            }
        }
        if (cancelled != null) {
            throw cancelled;
        }
    }

    /**
     * Waits until {@code predicate} holds, checking it first and after every wake-up, with the lock held:
     * {@code Condition.wait_for()}. Only inside a coroutine.
     */
    public void awaitFor(BooleanSupplier predicate) throws Exception {
        Objects.requireNonNull(predicate, "predicate");
        while (!predicate.getAsBoolean()) {
            await();
        }
    }

    /**
     * Wakes up to {@code n} waiting tasks (each still has to re-take the lock): {@code Condition.notify(n)}.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void signal(int n) {
        checkLoop();
        if (!lock.isLocked()) {
            throw new IllegalStateException("cannot notify on un-acquired lock");
        }
        signalWaiters(n);
    }

    /** {@code signal(1)}. */
    public void signal() {
        signal(1);
    }

    /** Wakes every waiting task: {@code Condition.notify_all()}. */
    public void signalAll() {
        signal(waiters.size());
    }

    private void signalWaiters(int n) {
        int woken = 0;
        for (LoopFuture<Boolean> fut : waiters) {
            if (woken >= n) {
                break;
            }
            if (fut.trySetResult(false)) {
                woken++;
            }
        }
    }

    @Override
    public String toString() {
        return "LoopCondition[" + (isLocked() ? "locked" : "unlocked") + (waiters.isEmpty() ? "" : ", waiters:" + waiters.size()) + "]";
    }
}
