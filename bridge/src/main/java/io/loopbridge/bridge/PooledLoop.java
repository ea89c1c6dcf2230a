package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One loop of a {@link LoopPool} and its thread: admission of thread-safe submissions (the pool's state,
 * the optional bound), and the shutdown state its loop thread reads.
 */
final class PooledLoop {
    /**
     * Pool loops by loop, so that {@link Bridge} calls given a pool's loop directly obey the pool's rules
     * (shutdown, bound, counters). EventLoop has identity equality.
     */
    private static final ConcurrentHashMap<EventLoop, PooledLoop> REGISTRY = new ConcurrentHashMap<>();
    /** Bound on the thread closing a loop whose thread died: what it died of. */
    static final ScopedValue<Throwable> DYING = ScopedValue.newInstance();

    final LoopPool pool;
    final int index;
    final EventLoop loop;
    final Thread thread;
    /** Free places for thread-safe submissions, or null when unbounded. */
    private final Semaphore permits;
    final CompletableFuture<Void> terminated = new CompletableFuture<>();
    volatile boolean dead;

    // Loop thread only: the shutdown drainer's state.
    /** The pool is cancelling: work still queued is rejected, not started. */
    boolean refusesNewWork;
    /** The drainer stopped the loop on purpose (any other stop() is ignored: a pooled loop serves on). */
    boolean stopRequested;
    /** What the drainer waits on now; completed early when the shutdown deadline moves closer. */
    LoopFuture<Void> round;

    PooledLoop(LoopPool pool, int index, EventLoop loop, int bound) {
        this.pool = pool;
        this.index = index;
        this.loop = loop;
        this.permits = bound > 0 ? new Semaphore(bound) : null;
        this.thread = pool.threadFactory(this);
    }

    static PooledLoop of(EventLoop loop) {
        return REGISTRY.get(loop);
    }

    void register() {
        REGISTRY.put(loop, this);
    }

    void unregister() {
        REGISTRY.remove(loop, this);
    }

    /**
     * Admits one thread-safe submission or throws {@link RejectedExecutionException}: the pool is shutting
     * down, this loop died, or its bound is reached (at once with REJECT, after the timeout with
     * CALLER_BLOCKS). An admitted submission gives its place back with {@link #taken()}.
     */
    void admit() {
        pool.checkAccepting();
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
        if (pool.whenFull == LoopPool.WhenFull.REJECT || isOn(loop)) {
            // The loop's own thread (or coroutine) would wait for itself: reject rather than deadlock.
            throw pool.rejection("event loop '" + loop.name() + "' has " + pool.maxPending
                    + " pending submissions (its bound)");
        }
        boolean admitted;
        try {
            admitted = permits.tryAcquire(pool.blockTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw pool.rejection("the submitting thread was interrupted while waiting for a place on event loop '"
                    + loop.name() + "'");
        }
        if (!admitted) {
            throw pool.rejection("event loop '" + loop.name() + "' stayed full (" + pool.maxPending
                    + " pending submissions) for " + pool.blockTimeoutNanos / 1_000_000 + " ms");
        }
        if (pool.isShutdown()) {
            permits.release();
            pool.checkAccepting();
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

    /** Whether the caller is {@code loop}'s thread or one of its coroutines. */
    static boolean isOn(EventLoop loop) {
        if (loop.thread() == Thread.currentThread()) {
            return true;
        }
        try {
            return Aio.getRunningLoop() == loop;
        } catch (IllegalStateException noLoopHere) {
            return false;
        }
    }

    /** The exception that completes work whose loop's thread died. */
    static IllegalStateException died(EventLoop loop, Throwable cause) {
        return new IllegalStateException("The thread of event loop '" + loop.name() + "' died before the work"
                + " finished: " + cause, cause);
    }

    @Override
    public String toString() {
        return "PooledLoop[" + loop.name() + (dead ? ", dead" : "") + "]";
    }
}
