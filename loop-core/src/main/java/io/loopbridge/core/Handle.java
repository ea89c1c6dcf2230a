package io.loopbridge.core;

/**
 * A callback scheduled on a loop by {@link EventLoop#callSoon} or {@link EventLoop#callSoonThreadsafe}.
 * Mirrors {@code asyncio.Handle}.
 *
 * <p>{@link #cancel()} belongs to the loop's thread (use {@code loop.callSoonThreadsafe(handle::cancel)}
 * from elsewhere); {@link #isCancelled()} may be read from any thread.
 */
public sealed class Handle permits TimerHandle, Handle.Owed, Task.Step {
    final EventLoop loop;
    Runnable callback;
    private volatile boolean cancelled;
    // Nothing else: a handle is allocated per callSoon, so debug origins and lag stamps live in the loop.

    Handle(EventLoop loop, Runnable callback) {
        this.loop = loop;
        this.callback = callback;
    }

    /** Debug mode: where this handle was scheduled, else null. */
    Throwable origin() {
        return loop.debugMode.originOf(this);
    }

    /** Prevents the callback from running if it has not run yet. Loop thread only. */
    public void cancel() {
        loop.confinement.checkThread("Handle.cancel", "loop.callSoonThreadsafe(handle::cancel)");
        if (!cancelled) {
            cancelled = true;
            callback = null; // drop the reference early, as asyncio does
        }
    }

    /** Whether {@link #cancel()} was called: {@code Handle.cancelled()}. Any thread. */
    public boolean isCancelled() {
        return cancelled;
    }

    /** Runs the callback; the loop calls this, and only for a handle not cancelled. */
    void run() {
        callback.run();
    }

    /** The loop was closed before this handle ran. Overridden by handles that owe someone an answer. */
    void dropped() {
    }

    /** A handle that owes someone an answer: when the loop closes before running it, runs {@code onDropped}. */
    static final class Owed extends Handle {
        private final Runnable onDropped;

        Owed(EventLoop loop, Runnable callback, Runnable onDropped) {
            super(loop, callback);
            this.onDropped = onDropped;
        }

        @Override
        void dropped() {
            if (!isCancelled()) {
                loop.closing.runClosedCallback(onDropped);
            }
        }
    }

    @Override
    public String toString() {
        Runnable cb = callback;
        return getClass().getSimpleName() + "[" + (cancelled ? "cancelled" : describe(cb)) + "]";
    }

    /** A user object's toString() for an error message: if that throws too, the message must still be made. */
    static String describe(Object o) {
        try {
            return String.valueOf(o);
        } catch (Throwable e) {
            return o.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(o))
                    + " (toString() failed: " + e + ")";
        }
    }
}
