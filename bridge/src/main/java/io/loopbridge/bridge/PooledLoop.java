package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.ReturnWhen;
import io.loopbridge.core.Task;
import io.loopbridge.core.Timeout;
import io.loopbridge.core.spi.LoopSpi;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One member of a {@link LoopPool}: the active owner of one {@link EventLoop} and of the platform thread that
 * runs it, as Netty's {@code SingleThreadEventExecutor} owns its thread. It runs the loop until the pool
 * stops it, drains it on {@link #shutdown}, closes it, and handles its death; it admits the thread-safe
 * submissions to its loop (the pool's state, the optional bound).
 *
 * <pre>
 * SERVING ──shutdown(deadline)──▶ DRAINING ──idle, or grace deadline──▶ CANCELLING ──idle, or cancellation
 *    │                              (a shorter shutdown moves the deadline)              timeout──▶ STOPPED
 *    │                                                                                             │ close()
 *    └──an Error escapes the loop (any state)──▶ DEAD ──LoopSpi.close(loop, error)──▶ closed ◀──────┘
 *                                                                                      │ thread ends
 *                                                                                      ▼
 *                                                                   TERMINATED: terminationFuture() completes
 * </pre>
 *
 * DRAINING and CANCELLING are the two phases of the drain task ({@link #drain}); STOPPED is {@link #stopRequested}.
 * A loop leads to its member through a per-loop attachment ({@link #of(EventLoop)}), so that {@link Bridge}
 * calls given a pool's loop directly obey the pool's rules (shutdown, bound, counters).
 */
final class PooledLoop {
    /** A loop's member; empty for a loop outside any pool (kept, so that a lookup is one map read). */
    private static final LoopSpi.Key<Optional<PooledLoop>> MEMBER = new LoopSpi.Key<>("LoopPool member");

    final LoopPool pool;
    /** The pool's members, this one among them. */
    private final PoolMembers group;
    final int index;
    final EventLoop loop;
    final Thread thread;
    /** Free places for thread-safe submissions, or null when unbounded. */
    private final Semaphore permits;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    /** The thread died; set by it before its loop is closed. Any thread reads it. */
    volatile boolean dead;

    // Loop thread only: the drain's state.
    /** The drain task was started; {@link #graceDeadline} is its deadline. */
    private boolean draining;
    /** System.nanoTime() when the grace period ends; only ever moved closer. */
    private long graceDeadline;
    /** The grace phase's timeout while it is entered, else null: a shorter shutdown reschedules it. */
    private Timeout grace;
    /** The drain is cancelling: work still queued is rejected, not started. */
    private boolean refusesNewWork;
    /** The drain stopped the loop on purpose (any other stop() is ignored: a pooled loop serves on). */
    private boolean stopRequested;

    /** A member of {@code pool} in slot {@code index} of {@code group}, its thread not started. */
    PooledLoop(LoopPool pool, PoolMembers group, int index, EventLoop loop, boolean daemon) {
        this.pool = pool;
        this.group = group;
        this.index = index;
        this.loop = loop;
        this.permits = pool.settings.maxPending > 0 ? new Semaphore(pool.settings.maxPending) : null;
        this.thread = Thread.ofPlatform().name(loop.name()).daemon(daemon).unstarted(this::run);
        LoopSpi.attachment(loop, MEMBER, l -> Optional.of(this)); // a new loop: nothing was attached
    }

    /** The pool member owning {@code loop}, or null for a loop outside any pool (or terminated). Any thread. */
    static PooledLoop of(EventLoop loop) {
        return LoopSpi.attachment(loop, MEMBER, l -> Optional.empty()).orElse(null);
    }

    // ---- the thread ---------------------------------------------------------------------------------

    /** The loop thread: serve until the drain stops the loop, then close it; or die. */
    private void run() {
        Throwable death = null;
        try {
            do {
                loop.runForever();
            } while (!stopRequested); // someone else's loop.stop(): a pooled loop serves until shutdown
        } catch (Throwable e) {
            death = e;
        }
        try {
            if (death == null) {
                loop.close();
            } else {
                die(death);
            }
        } finally {
            LoopSpi.removeAttachment(loop, MEMBER);
            Thread self = Thread.currentThread();
            // A thread cannot report its own end: a short-lived virtual thread waits for it.
            Thread.ofVirtual().start(() -> {
                joinUninterruptibly(self);
                terminated.complete(null);
            });
        }
    }

    /**
     * The thread died of {@code death}: report it, close the loop with it as the cause (so that every future
     * of its work completes, see {@link BridgeFuture}), and let the pool replace this member. Loop thread,
     * after the loop stopped.
     */
    private void die(Throwable death) {
        dead = true;
        pool.deadLoops.increment();
        try {
            loop.callExceptionHandler(new ErrorContext("The thread of event loop '" + loop.name()
                    + "' of LoopPool '" + pool.name() + "' died; its pending work is failed", death, null, null));
        } finally {
            LoopSpi.close(loop, death);
            group.replace(this);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        while (true) {
            try {
                t.join();
                return;
            } catch (InterruptedException ignored) {
                // nobody interrupts this thread; keep waiting
            }
        }
    }

    /**
     * Completed once the loop is closed and its thread has ended (whether it was shut down or died): Netty's
     * {@code EventExecutor.terminationFuture()}. Any thread.
     */
    CompletableFuture<Void> terminationFuture() {
        return terminated;
    }

    // ---- shutdown -----------------------------------------------------------------------------------

    /**
     * Starts the drain with its grace period ending at {@code deadlineNanos} ({@link System#nanoTime()}), or,
     * if it has started, brings its deadline closer. Nothing happens to a loop already closed. Any thread.
     */
    void shutdown(long deadlineNanos) {
        try {
            loop.execute(() -> shutdownOnLoop(deadlineNanos));
        } catch (RejectedExecutionException closed) {
            // the loop's thread has ended (it died): nothing to drain
        }
    }

    private void shutdownOnLoop(long deadline) {
        if (!draining) {
            draining = true;
            graceDeadline = deadline;
            loop.createTask(pool.name() + "-shutdown", this::drain);
        } else if (deadline - graceDeadline < 0) {
            graceDeadline = deadline;
            if (grace != null && !grace.expired()) {
                grace.rescheduleAt(deadline);
            }
        }
    }

    /**
     * The drain of this loop, a task on it: wait until nothing but itself is left (or the grace deadline),
     * then refuse new work, cancel the tasks left, wait for their cancellations to run to their end (up to the
     * cancellation timeout), and stop the loop: what {@code asyncio.run} does at its end (cancel every task
     * left, run the cancellations to their end), with deadlines, as Netty's {@code shutdownGracefully} has.
     */
    private Void drain() throws Exception {
        Task<?> self = Aio.currentTask();
        LoopSpi.stopAccepting(loop); // a loop with I/O: its servers take no new connections, the open ones finish
        untilIdle(self, graceDeadline, true);
        refusesNewWork = true;
        for (Task<?> t : loop.allTasks()) {
            if (t != self) {
                t.cancel("LoopPool '" + pool.name() + "' is shutting down");
            }
        }
        untilIdle(self, loop.time() + pool.settings.cancellationTimeoutNanos(), false);
        stopRequested = true;
        loop.stop();
        return null;
    }

    /**
     * Waits until the loop has no task but {@code self} and nothing in its inbox, or until {@code deadline}
     * (loop time). Tasks created meanwhile are waited for too. With {@code graceful}, the deadline is the grace
     * period's, which {@link #shutdownOnLoop} may bring closer.
     */
    private void untilIdle(Task<?> self, long deadline, boolean graceful) throws Exception {
        try {
            Aio.withTimeoutAt(deadline, t -> {
                if (graceful) {
                    grace = t;
                }
                while (true) {
                    List<Task<?>> pending = loop.allTasks();
                    pending.remove(self);
                    if (!pending.isEmpty()) {
                        Aio.wait(pending, ReturnWhen.ALL_COMPLETED);
                    } else if (loop.stats().inboxCount() > 0) {
                        Aio.sleep(Duration.ZERO); // one iteration: the loop takes its inbox
                    } else {
                        return null;
                    }
                }
            });
        } catch (TimeoutException deadlineCame) {
            // what is left is cancelled, or closed under
        } finally {
            grace = null;
        }
    }

    /** Whether work still queued is to be rejected, not started (the drain is cancelling). Loop thread only. */
    boolean refusesNewWork() {
        return refusesNewWork;
    }

    // ---- admission ----------------------------------------------------------------------------------

    /**
     * {@code command} as a plain callback on this loop, admitted as a thread-safe submission. Any thread.
     *
     * @throws RejectedExecutionException if the pool is shut down, this loop died or is full
     */
    void execute(Runnable command) {
        admit();
        try {
            loop.execute(permits != null ? new Counted(command) : command);
        } catch (RejectedExecutionException closed) {
            throw refused();
        }
        accepted();
    }

    /**
     * Admits one thread-safe submission or throws {@link RejectedExecutionException}: the pool is shutting
     * down, this loop died, or its bound is reached (at once with REJECT, after the timeout with
     * CALLER_BLOCKS). An admitted submission gives its place back with {@link #taken()}. Any thread.
     */
    void admit() {
        group.checkAccepting();
        if (dead) {
            throw pool.rejection("its event loop '" + loop.name() + "' died");
        }
        if (permits != null && !permits.tryAcquire()) {
            waitForPlace();
        }
    }

    /**
     * The loop accepted an admitted submission: counted only now, so that a submission the loop refuses
     * ({@link #refused()}) is a rejection and never also a submission, and the counter never goes back.
     */
    void accepted() {
        pool.submitted.increment();
    }

    private void waitForPlace() {
        if (pool.settings.whenFull == LoopPool.WhenFull.REJECT || LoopSpi.inLoop(loop)) {
            // The loop's own thread (or coroutine) would wait for itself: reject rather than deadlock.
            throw pool.rejection("event loop '" + loop.name() + "' has " + pool.settings.maxPending
                    + " pending submissions (its bound)");
        }
        boolean admitted;
        try {
            admitted = permits.tryAcquire(pool.settings.blockTimeoutNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw pool.rejection("the submitting thread was interrupted while waiting for a place on event loop '"
                    + loop.name() + "'");
        }
        if (!admitted) {
            throw pool.rejection("event loop '" + loop.name() + "' stayed full (" + pool.settings.maxPending
                    + " pending submissions) for " + pool.settings.blockTimeoutNanos() / 1_000_000 + " ms");
        }
        if (pool.isShutdown()) {
            permits.release();
            group.checkAccepting();
        }
    }

    /** An admitted submission left the inbox (it ran, was refused, or was dropped). Any thread. */
    void taken() {
        if (permits != null) {
            permits.release();
        }
    }

    /**
     * An admitted submission that the loop refused (it closed, e.g. died, in between): it gives its place
     * back and is a rejection, so that submitted = completed + failed + cancelled holds for the futures
     * handed out.
     */
    RejectedExecutionException refused() {
        taken();
        return pool.rejection("its event loop '" + loop.name() + "' is closed");
    }

    @Override
    public String toString() {
        return "PooledLoop[" + loop.name() + (dead ? ", dead" : "") + "]";
    }

    /** A command of a bounded pool: gives its place back when it runs, or when the loop closes first. */
    private final class Counted implements LoopSpi.Droppable {
        private final Runnable command;

        Counted(Runnable command) {
            this.command = command;
        }

        @Override
        public void run() {
            taken();
            command.run();
        }

        @Override
        public void dropped() {
            taken();
        }

        @Override
        public String toString() {
            return command.toString();
        }
    }
}
