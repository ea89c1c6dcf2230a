package io.loopbridge.bridge;

import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.core.spi.IdleStrategy;
import io.loopbridge.core.spi.LoopSpi;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The {@link CompletableFuture} the bridge hands out for work on a loop: asyncio's {@code concurrent.futures
 * .Future} chained to a loop-side future by {@code _chain_future}.
 *
 * <p>Lifecycle: created on the submitting thread and queued on the loop with {@code loop.execute(this)}, a
 * {@link LoopSpi.Droppable} (no handle is made). On the loop, {@link #run()} creates the task (or runs the
 * function, or hooks the given loop future through a task awaiting it) unless this future was completed first. The loop side completes
 * it from a done-callback ({@link #accept}); if the loop closes before running it, {@link #dropped()} does.
 * Completing it from outside ({@code cancel}, {@code complete}, {@code orTimeout}...) requests cancellation of
 * the loop side. Every path ends in exactly one completion: the invariant every caller relies on.
 */
final class BridgeFuture<T> extends CompletableFuture<T> implements LoopSpi.Droppable, Consumer<LoopFuture<T>> {
    /** The spin of threads blocked in get()/join(): one policy, learning from every caller's waits. */
    private static final IdleStrategy CALLERS = IdleStrategy.adaptive();

    private final EventLoop loop;
    /** The pool member owning {@link #loop}, or null for a loop outside any pool. */
    private final PooledLoop member;
    /** What to run on the loop; null once started (or for a mirror of an existing loop future). */
    private Coroutine<T> work;
    private final boolean asTask;
    /** The loop-side future (a task) whose outcome completes this one. Loop thread only, once started. */
    private LoopFuture<T> source;
    /** For {@code toCompletableFuture}: the loop future mirrored, which cancellation goes to. */
    private LoopFuture<T> target;
    /** System.nanoTime() at submission when this round trip is timed (see LoopPool.setRoundTripRecorder), else 0. */
    private final long submittedAt;

    BridgeFuture(EventLoop loop, PooledLoop member, Coroutine<T> work, boolean asTask) {
        this.loop = loop;
        this.member = member;
        this.work = work;
        this.asTask = asTask;
        this.submittedAt = member != null && member.pool.roundTripRecorder != null
                && ThreadLocalRandom.current().nextInt(LoopPool.ROUND_TRIP_SAMPLE) == 0 ? System.nanoTime() : 0;
    }

    /** A mirror of an existing loop future: {@link #run()} only hooks it. */
    BridgeFuture(LoopFuture<T> target) {
        this(target.getLoop(), null, null, false);
        this.target = target;
    }

    // ---- the loop side ----------------------------------------------------------------------------

    /** On the loop thread: start the work, unless this future was completed (e.g. cancelled) first. */
    @Override
    public void run() {
        if (member != null) {
            member.taken();
        }
        if (isDone()) {
            return; // cancelled or timed out before it started: the work never runs
        }
        if (target != null) {
            if (target.isDone()) {
                accept(target);
                return;
            }
            // A closing loop destroys its tasks, so a task's callbacks always run; a plain future may be
            // left pending for ever. A task awaiting it is destroyed with the loop: this future completes.
            source = target instanceof Task<T> task ? task : loop.createTask(target::await);
        } else {
            Coroutine<T> w = work;
            work = null;
            if (member != null && member.refusesNewWork()) {
                settle(null, member.pool.rejection("it is shutting down; work still queued is not started"));
                return;
            }
            if (!asTask) {
                T value;
                try {
                    value = w.call();
                } catch (Throwable e) {
                    settle(null, e);
                    return;
                }
                settle(value, null);
                return;
            }
            try {
                source = loop.createTask(w);
            } catch (Throwable e) {
                settle(null, e);
                return;
            }
        }
        source.addDoneCallback(this);
    }

    /** The loop-side future is done: copy its outcome (the same exception object, or its cancellation). */
    @Override
    public void accept(LoopFuture<T> f) {
        source = null; // done: a caller holding this future for long must not hold the task too
        target = null;
        T value;
        try {
            value = f.result();
        } catch (Throwable e) {
            Throwable death = e instanceof CancellationException ? LoopSpi.closeCause(loop) : null;
            settle(null, death != null ? died(death) : e);
            return;
        }
        settle(value, null);
    }

    /** The loop closed after accepting this work and before starting it. */
    @Override
    public void dropped() {
        if (member != null) {
            member.taken();
        }
        LoopFuture<T> t = target;
        if (t != null) {
            // a mirror whose hook never ran: the loop closed with the future pending, and nothing will run it
            if (t.isDone()) {
                accept(t);
            } else {
                settle(null, new CancellationException("Event loop '" + loop.name() + "' was closed with the future"
                        + " pending"));
            }
            return;
        }
        Throwable death = LoopSpi.closeCause(loop);
        settle(null, death != null ? died(death)
                : new RejectedExecutionException("Event loop '" + loop.name() + "' was closed before the work started"));
    }

    /** What completes work whose loop's thread died of {@code cause} (the loop's recorded close cause). */
    private IllegalStateException died(Throwable cause) {
        return new IllegalStateException("The thread of event loop '" + loop.name() + "' died before the work"
                + " finished: " + cause, cause);
    }

    private void settle(T value, Throwable failure) {
        // super.*: completing from the loop side must not echo a cancellation back to the loop
        if (failure == null ? super.complete(value) : super.completeExceptionally(failure)) {
            finished();
        }
    }

    private void finished() {
        LongConsumer recorder;
        if (submittedAt != 0 && (recorder = member.pool.roundTripRecorder) != null) {
            recorder.accept(System.nanoTime() - submittedAt);
        }
    }

    // ---- completion from outside: cancel the loop side --------------------------------------------

    /**
     * Cancels this future at once and asks the loop to cancel the task (asyncio: the task sees a
     * {@link CancellationException} at its current or next await). {@code mayInterruptIfRunning} is ignored:
     * a cancelled task's JDK blocking call is interrupted by the fast engine in any case.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return external(super.cancel(mayInterruptIfRunning));
    }

    /** Completing from outside (e.g. {@code completeOnTimeout}) cancels the loop side too. */
    @Override
    public boolean complete(T value) {
        return external(super.complete(value));
    }

    /** Completing from outside (e.g. {@code orTimeout}) cancels the loop side too. */
    @Override
    public boolean completeExceptionally(Throwable ex) {
        return external(super.completeExceptionally(ex));
    }

    private boolean external(boolean completed) {
        if (completed) {
            finished();
            try {
                // Queued behind run() if the loop already started it (run reads isDone first): it finds source.
                loop.execute(this::cancelSource);
            } catch (RejectedExecutionException closed) {
                // the loop is closed: its tasks were cancelled with it, and run() will never start one
            }
        }
        return completed;
    }

    private void cancelSource() {
        LoopFuture<T> s = target != null ? target : source; // a mirror's watcher task ends with its target
        if (s != null && !s.isDone()) {
            s.cancel("its CompletableFuture was completed from outside");
        }
    }

    // ---- waiting: spin briefly, then block ----------------------------------------------------------

    @Override
    public T get() throws InterruptedException, ExecutionException {
        if (isDone()) {
            return super.get();
        }
        long start = System.nanoTime();
        boolean caught = spinUntilDone(start, Long.MAX_VALUE);
        try {
            return super.get();
        } finally {
            CALLERS.waitEnded(start, !caught);
        }
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        if (isDone()) {
            return super.get(timeout, unit);
        }
        long budget = unit.toNanos(timeout);
        long start = System.nanoTime();
        boolean caught = spinUntilDone(start, budget);
        try {
            return super.get(budget - (System.nanoTime() - start), TimeUnit.NANOSECONDS);
        } finally {
            CALLERS.waitEnded(start, !caught);
        }
    }

    @Override
    public T join() {
        if (isDone()) {
            return super.join();
        }
        long start = System.nanoTime();
        boolean caught = spinUntilDone(start, Long.MAX_VALUE);
        try {
            return super.join();
        } finally {
            CALLERS.waitEnded(start, !caught);
        }
    }

    /**
     * Polls {@link #isDone()} as {@link #CALLERS} says, within {@code budgetNanos}, before the caller parks: most
     * round trips to a loop end within a few microseconds, and waking a parked thread costs tens on an idle
     * virtual CPU. The same trade as a loop's idle spin, made on the caller's side. Returns whether it caught
     * the completion.
     */
    private boolean spinUntilDone(long start, long budgetNanos) {
        while (!isDone()) {
            if (!CALLERS.spin(start, budgetNanos)) {
                return false;
            }
        }
        return true;
    }
}
