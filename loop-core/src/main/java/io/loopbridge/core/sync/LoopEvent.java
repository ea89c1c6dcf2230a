package io.loopbridge.core.sync;

import io.loopbridge.core.LoopFuture;
import java.util.ArrayDeque;

/**
 * A flag tasks can wait for: {@code asyncio.Event}. Initially clear. {@link #set()} wakes every waiting
 * task; a waiter woken by {@code set()} returns even if the flag is cleared again before it resumes.
 *
 * <p>Thread-safety: loop thread only (its tasks and callbacks); bound to the first loop that makes a
 * task wait on it. From another thread: {@code loop.callSoonThreadsafe(event::set)}.
 */
public final class LoopEvent extends LoopBound {
    private final ArrayDeque<LoopFuture<Boolean>> waiters = new ArrayDeque<>();
    private boolean value;

    /** A new event, not set: {@code asyncio.Event()}. */
    public LoopEvent() {
    }

    /** {@code Event.is_set()}. */
    public boolean isSet() {
        return value;
    }

    /** Sets the flag and wakes every waiting task: {@code Event.set()}. */
    public void set() {
        checkLoop();
        if (!value) {
            value = true;
            for (LoopFuture<Boolean> fut : waiters) {
                fut.trySetResult(true);
            }
        }
    }

    /** Clears the flag: {@code Event.clear()}. */
    public void clear() {
        checkLoop();
        value = false;
    }

    /**
     * Returns at once if the flag is set, else suspends the current task until {@link #set()}:
     * {@code Event.wait()}. Only inside a coroutine.
     */
    public void await() throws Exception {
        checkLoop();
        if (value) {
            return;
        }
        LoopFuture<Boolean> fut = newWaiter();
        waiters.add(fut);
        try {
            fut.await();
        } finally {
            waiters.remove(fut);
        }
    }

    @Override
    public String toString() {
        return "LoopEvent[" + (value ? "set" : "unset") + (waiters.isEmpty() ? "" : ", waiters:" + waiters.size()) + "]";
    }
}
