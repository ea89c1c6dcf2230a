package io.loopbridge.core;

import java.util.ArrayDeque;
import java.util.function.LongConsumer;

/**
 * A loop's iterations, asyncio's {@code _run_once}, and the only place callbacks are called: wait if there is
 * nothing to do (until the next timer or a submission; with I/O the wait is the poll), take the submissions,
 * then the due timers, then run what is ready now. What these callbacks schedule waits for the next
 * iteration. Loop thread only.
 */
final class Iteration {
    /** At most one lag sample per this many nanoseconds (per kind: submission, timer). */
    private static final long LAG_SAMPLE_NANOS = 1_000_000;

    private final EventLoop loop;
    /** Handles, and bare Runnables ({@link EventLoop#execute}): no handle, so nothing to cancel. */
    private final ArrayDeque<Object> ready;
    private final TimerQueue timers;
    private final Inbox inbox;
    /** The loop's I/O, or null. */
    private final LoopIo.Driver io;
    private final LoopStats stats;
    private final DebugMode debugMode;
    private long lastLagSample = Long.MIN_VALUE / 2;
    /** Set by {@link EventLoop#stop()}: the iteration under way is the last. */
    boolean stopping;

    Iteration(EventLoop loop, ArrayDeque<Object> ready, Inbox inbox, LoopIo.Driver io, DebugMode debugMode) {
        this.loop = loop;
        this.ready = ready;
        this.timers = loop.timers;
        this.inbox = inbox;
        this.io = io;
        this.stats = loop.stats();
        this.debugMode = debugMode;
    }

    /** Iterates until {@link #stopping}, at least once ({@code run_forever}'s loop). */
    void runUntilStopped() {
        try {
            do {
                runOnce();
            } while (!stopping);
        } finally {
            stopping = false;
        }
    }

    private void runOnce() {
        boolean polled = false;
        if (ready.isEmpty() && !stopping && inbox.isEmpty()) {
            long timeout = untilNextTimer();
            if (timeout != 0) {
                polled = inbox.awaitWork(timeout); // with I/O: the wait is the poll, I/O callbacks ran in it
            }
        }
        if (io != null && !polled && io.hasWork()) {
            io.poll(0);
        }
        long now = loop.time();
        LongConsumer lag = stats.lagRecorder();
        boolean sampleLag = lag != null && now - lastLagSample >= LAG_SAMPLE_NANOS;
        if (sampleLag) {
            lastLagSample = now;
            inbox.requestLagStamp();
        }
        inbox.drainInto(ready, now, lag);
        takeDueTimers(now, sampleLag ? lag : null);
        runReady(now);
    }

    /** Nanoseconds until the next timer is due (0 if one is), or -1 with no timer. */
    private long untilNextTimer() {
        TimerHandle next = timers.peek();
        return next == null ? -1 : Math.max(0, next.when - loop.time());
    }

    /** Due timers join the ready queue behind what is already there; the first one's lateness is a lag sample. */
    private void takeDueTimers(long now, LongConsumer lag) {
        TimerHandle t = timers.peek();
        if (t == null || t.when - now > 0) {
            return;
        }
        if (lag != null) {
            lag.accept(now - t.when);
        }
        do {
            ready.add(timers.poll());
        } while ((t = timers.peek()) != null && t.when - now <= 0);
    }

    private void runReady(long now) {
        int ntodo = ready.size();
        int ran = 0;
        boolean timed = loop.isDebug();
        for (int i = 0; i < ntodo; i++) {
            Object h = ready.poll();
            if (h instanceof Handle handle && handle.isCancelled()) {
                continue;
            }
            ran++;
            if (timed) {
                runTimed(h);
            } else {
                runHandle(h);
            }
        }
        stats.iteration(ran, ran == 0 ? 0 : loop.time() - now, ready.size(), timers.size());
    }

    private void runTimed(Object h) {
        long t0 = System.nanoTime();
        runHandle(h);
        debugMode.ran(loop, h, System.nanoTime() - t0);
    }

    private void runHandle(Object h) {
        stats.stepStarted(); // for the blocked-loop watchdog: an opaque store, no clock read
        try {
            if (h instanceof Handle handle) {
                handle.run();
            } else {
                ((Runnable) h).run();
            }
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                throw e; // the loop thread cannot be trusted to go on; its owner (e.g. a LoopPool) handles it
            }
            loop.callExceptionHandler(h instanceof Handle handle
                    ? new ErrorContext("Exception in callback " + handle, e, null, handle)
                    : new ErrorContext("Exception in callback " + Handle.describe(h), e, null, null));
        } finally {
            stats.stepEnded();
        }
    }
}
