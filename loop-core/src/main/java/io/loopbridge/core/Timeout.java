package io.loopbridge.core;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * A deadline over a block of code running in the current task: {@code asyncio.Timeout}, entered by
 * {@link Aio#withTimeout(Duration, Body)}. At the deadline the task is cancelled; when that cancellation
 * comes out of the block it becomes a {@link TimeoutException} (its cause the cancellation). A cancellation
 * requested by anyone else is told apart with {@link Task#cancelling()}/{@link Task#uncancel()}, as in
 * CPython 3.12+, and propagates unchanged, even when it lands together with the deadline.
 *
 * <p>Nested timeouts work: the inner one that fires converts only its own cancellation, so the outer body
 * goes on. Thread-safety: loop thread only (the body itself, or a callback of its loop).
 */
public final class Timeout {
    /** The block a timeout guards; it may move its own deadline with {@link #reschedule}. */
    @FunctionalInterface
    public interface Body<T> {
        T call(Timeout timeout) throws Exception;
    }

    private enum State { ENTERED, EXPIRING, EXPIRED, EXITED }

    private final EventLoop loop;
    private final Task<?> task;
    /** The task's cancel requests on entry: more than these at exit means someone else cancelled too. */
    private final int cancellingOnEntry;
    private State state = State.ENTERED;
    private boolean hasDeadline;
    private long when;
    private Handle handler;

    private Timeout(EventLoop loop, Task<?> task) {
        this.loop = loop;
        this.task = task;
        this.cancellingOnEntry = task.cancelling();
    }

    /** {@code async with timeout_at(when): body} in the calling task; {@code deadline} null means none. */
    static <T> T run(Long deadline, Body<T> body) throws Exception {
        java.util.Objects.requireNonNull(body, "body");
        EventLoop loop = Aio.getRunningLoop();
        Timeout timeout = new Timeout(loop, Task.current(loop, "Aio.withTimeout()"));
        timeout.schedule(deadline);
        T result;
        try {
            result = body.call(timeout);
        } catch (Throwable e) {
            throw LoopFuture.sneakyThrow(timeout.exit(e));
        }
        timeout.exit(null);
        return result;
    }

    /**
     * Moves the deadline to {@code delay} from now; null removes it: {@code Timeout.reschedule}, which
     * takes an absolute time (see {@link #rescheduleAt}). Zero or negative fires at the next iteration.
     *
     * @throws IllegalStateException once the timeout fired or its block ended
     */
    public void reschedule(Duration delay) {
        checkEntered();
        schedule(delay == null ? null : loop.deadline(delay));
    }

    /** Moves the deadline to loop time {@code whenNanos} ({@link EventLoop#time()}): {@code Timeout.reschedule(when)}. */
    public void rescheduleAt(long whenNanos) {
        checkEntered();
        schedule(whenNanos);
    }

    /** The deadline in loop time, or empty for none: {@code Timeout.when()}. */
    public OptionalLong when() {
        return hasDeadline ? OptionalLong.of(when) : OptionalLong.empty();
    }

    /** Whether the deadline fired during the block: {@code Timeout.expired()}. */
    public boolean expired() {
        return state == State.EXPIRING || state == State.EXPIRED;
    }

    private void checkEntered() {
        loop.confinement.checkThread("reschedule", "loop.callSoonThreadsafe(() -> timeout.reschedule(d))");
        if (state != State.ENTERED) {
            throw new IllegalStateException("Cannot change state of " + state.name().toLowerCase() + " Timeout");
        }
    }

    private void schedule(Long deadline) {
        if (handler != null) {
            handler.cancel();
            handler = null;
        }
        hasDeadline = deadline != null;
        if (deadline == null) {
            return;
        }
        when = deadline;
        handler = when - loop.time() <= 0 ? loop.callSoon(this::onTimeout) : loop.callAt(when, this::onTimeout);
    }

    private void onTimeout() {
        task.cancel();
        state = State.EXPIRING;
        handler = null;
    }

    /** {@code Timeout.__aexit__}: returns what the block must throw ({@code failure} itself, or the timeout). */
    private Throwable exit(Throwable failure) {
        if (handler != null && !loop.isClosed()) {
            handler.cancel();
        }
        handler = null;
        if (state == State.EXPIRING) {
            state = State.EXPIRED;
            // Always withdraw our own request; convert only if no one else asked for a cancellation since entry.
            if (task.uncancel() <= cancellingOnEntry && failure instanceof CancellationException ce) {
                TimeoutException te = new TimeoutException("timed out");
                te.initCause(ce);
                return te;
            }
        } else if (state == State.ENTERED) {
            state = State.EXITED;
        }
        return failure;
    }

    @Override
    public String toString() {
        return "Timeout[" + state.name().toLowerCase() + (hasDeadline && state == State.ENTERED
                ? ", in " + Duration.ofNanos(when - loop.time()) : "") + "]";
    }
}
