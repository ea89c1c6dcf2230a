package io.loopbridge.core;

/**
 * A callback scheduled for a point in loop time by {@link EventLoop#callLater} or {@link EventLoop#callAt}.
 * Mirrors {@code asyncio.TimerHandle}. Cancelling removes it from the loop's timer heap at once, so
 * cancelled timers never accumulate.
 */
public sealed class TimerHandle extends Handle permits Task.Alarm {
    final long when;
    /** Tie-break: timers with equal deadlines run in scheduling order; set when the timer joins the heap. */
    long sequence;
    /** Position in the loop's heap, or -1 when not in it. */
    int heapIndex = -1;

    TimerHandle(EventLoop loop, Runnable callback, long when) {
        super(loop, callback);
        this.when = when;
    }

    /** The deadline, in {@link EventLoop#time()} nanoseconds: {@code TimerHandle.when()}. Any thread. */
    public long when() {
        return when;
    }

    /** Prevents the callback from running and removes it from the loop's timers at once. Loop thread only. */
    @Override
    public void cancel() {
        super.cancel();
        // On a closed loop (e.g. a coroutine unwinding on any thread) the heap is cleared: nothing to remove.
        if (!loop.isClosed()) {
            loop.timers.remove(this);
        }
    }

    boolean runsBefore(TimerHandle other) {
        return when != other.when ? when - other.when < 0 : sequence < other.sequence;
    }
}
