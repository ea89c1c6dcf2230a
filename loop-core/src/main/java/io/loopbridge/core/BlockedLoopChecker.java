package io.loopbridge.core;

import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watchdog for blocked loops, after Vert.x's {@code BlockedThreadChecker}: one daemon platform thread
 * samples each watched loop and reports a loop that has been running the same callback or coroutine step
 * (or, on a loop with I/O, the channel handlers of one poll: {@link io.loopbridge.core.spi.LoopSpi#ioStarted})
 * for longer than a threshold. asyncio has only debug mode's after-the-fact slow-callback warning; this
 * catches the callback while it still blocks, with its stack.
 *
 * <p>An <em>episode</em> (one over-long callback) is reported once: to the loop's exception handler, if one
 * is set, with an {@link ErrorContext} whose exception is a {@link LoopBlockedException} carrying the
 * blocked thread's stack (the coroutine's virtual thread when a task step is running; the task is the
 * context's future) — and as a WARN log with that stack. While it lasts, the stack is logged again every
 * 5 s. {@link LoopStats#isBlocked()}, {@link LoopStats#blockedNanos()} and
 * {@link LoopStats#blockedEpisodes()} show the state. The handler runs on the watchdog's thread, since the
 * loop's own is the one blocked; a handler that blocks delays the watchdog.
 *
 * <p>Cost to the loop: two opaque stores of a counter per callback ({@link LoopStats}); the clock is read
 * here only. The duration reported is a lower bound: a callback counts from the first sample that saw it,
 * so it is reported between {@code threshold} and {@code threshold + threshold/4} (at most + 1 s) after it
 * started, never before it has really run for {@code threshold}.
 *
 * <p>The thread is a daemon (it never keeps the JVM alive) and ends on {@link #close()}. A closed loop is
 * dropped from the watch list by itself. Thread-safe.
 */
public final class BlockedLoopChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockedLoopChecker.class);
    /** Vert.x's blocked-thread warning interval is also its stack interval; ours repeats the stack every 5 s. */
    static final long STACK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long thresholdNanos;
    private final long intervalNanos;
    private final long stackIntervalNanos;
    private final CopyOnWriteArrayList<Watched> watched = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    /**
     * Starts a watchdog thread named {@code name}.
     *
     * @throws IllegalArgumentException if {@code threshold} is not positive
     */
    public BlockedLoopChecker(String name, Duration threshold) {
        this(name, threshold, STACK_INTERVAL_NANOS);
    }

    /** With another interval between the repeated stacks (tests). */
    BlockedLoopChecker(String name, Duration threshold, long stackIntervalNanos) {
        this.stackIntervalNanos = stackIntervalNanos;
        Objects.requireNonNull(name, "name");
        this.thresholdNanos = Checks.saturatedNanos(Checks.requirePositive(threshold, "threshold"));
        this.intervalNanos = Math.clamp(thresholdNanos / 4, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(1));
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Watches {@code loop} until it closes or this watchdog does. Any thread. */
    public void watch(EventLoop loop) {
        Objects.requireNonNull(loop, "loop");
        watched.add(new Watched(loop));
    }

    /** The threshold a callback must exceed to be reported. */
    public Duration threshold() {
        return Duration.ofNanos(thresholdNanos);
    }

    /**
     * Stops the watchdog thread, which clears every watched loop's blocked state as it ends, and waits for
     * it (at most a second: a report in progress may be in a slow exception handler; called on the
     * watchdog's own thread, e.g. from that handler, it does not wait). Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (thread.isAlive() && System.nanoTime() - deadline < 0) {
                try {
                    thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long lastTick = System.nanoTime();
        while (!closed) {
            LockSupport.parkNanos(this, intervalNanos);
            long now = System.nanoTime();
            // Woken late (a GC pause, a throttled container, an overloaded host): the loops were most likely
            // stalled too, so that time is not held against the callback they were running. This only ever
            // delays a report; it never makes one.
            long stall = now - lastTick - 2 * intervalNanos;
            lastTick = now;
            for (Watched w : watched) {
                if (stall > 0 && !w.reported) {
                    w.since += stall;
                }
                try {
                    check(w, now);
                } catch (Throwable e) {
                    // the watchdog must outlive whatever a handler or a stack walk throws
                    log.error("Blocked-loop watchdog failed on loop {}", w.loop.name(), e);
                }
            }
        }
        for (Watched w : watched) {
            w.loop.stats().unblocked();
        }
        watched.clear();
    }

    private void check(Watched w, long now) {
        LoopStats stats = w.loop.stats();
        if (w.loop.isClosed()) {
            stats.unblocked();
            watched.remove(w);
            return;
        }
        long steps = stats.steps();
        if (steps != w.steps || (steps & 1) == 0) {
            // Another callback, or none: a new observation starts here.
            if (w.reported) {
                w.reported = false;
                stats.unblocked();
            }
            w.steps = steps;
            w.since = now;
            return;
        }
        long ran = now - w.since;
        if (!w.reported) {
            if (ran >= thresholdNanos) {
                w.reported = true;
                w.lastStackAt = now;
                report(w, ran);
            }
        } else if (now - w.lastStackAt >= stackIntervalNanos) {
            w.lastStackAt = now;
            LoopBlockedException e = blocked(w.loop, ran, w.loop.confinement.currentTask);
            log.warn("{} (still blocked)", e.getMessage(), e);
        }
    }

    private void report(Watched w, long ran) {
        EventLoop loop = w.loop;
        // A racy read of a loop-thread field: the step began at least a threshold ago, so it is set by now;
        // at worst the name is missing or the step just ended (then the next sample ends the episode).
        Task<?> task = loop.confinement.currentTask;
        LoopBlockedException e = blocked(loop, ran, task);
        // The stack first, then the state: whoever sees the loop blocked sees it with its stack taken.
        loop.stats().blocked(w.since);
        log.warn(e.getMessage(), e);
        if (loop.getExceptionHandler() != null) {
            // The default handler would log the same again at ERROR; the WARN above is the report then.
            loop.callExceptionHandler(new ErrorContext(e.getMessage(), e, task, null));
        }
    }

    private LoopBlockedException blocked(EventLoop loop, long ran, Task<?> task) {
        Thread t = task != null ? task.thread : loop.thread();
        String msg = "Event loop '" + loop.name() + "' is blocked: "
                + (task != null ? "a coroutine step of task '" + task.getName() + "'" : "one callback")
                + " has been running for " + TimeUnit.NANOSECONDS.toMillis(ran) + " ms (threshold "
                + TimeUnit.NANOSECONDS.toMillis(thresholdNanos) + " ms)" + (t != null ? " on thread '" + threadName(t, task) + "'" : "");
        LoopBlockedException e = new LoopBlockedException(msg);
        e.setStackTrace(t != null ? t.getStackTrace() : new StackTraceElement[0]);
        return e;
    }

    /** A default-named task's thread has no name of its own (see {@link Task#getName()}): it goes by the task's. */
    private static String threadName(Thread t, Task<?> task) {
        String name = t.getName();
        return name.isEmpty() && task != null && t == task.thread ? task.getName() : name;
    }

    /** The watchdog's per-loop state; its thread only. */
    private static final class Watched {
        final EventLoop loop;
        long steps = -1;
        long since;
        long lastStackAt;
        boolean reported;

        Watched(EventLoop loop) {
            this.loop = loop;
        }
    }

    /** What a blocked loop is reported with: its stack trace is the blocked thread's, not the watchdog's. */
    public static final class LoopBlockedException extends Exception {
        LoopBlockedException(String message) {
            super(message, null, false, true);
        }
    }
}
