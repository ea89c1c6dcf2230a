package io.loopbridge.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongConsumer;

/**
 * The plain counters a loop keeps for metrics. The loop thread writes them with opaque stores (a plain
 * store on x86: no fence, no lock, no allocation); any thread may read them at any time and sees values
 * at most one loop iteration old. {@code io.loopbridge.metrics} binds them to Micrometer.
 */
public final class LoopStats {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int CALLBACKS = 0, BUSY = 1, SLOW = 2, COMPLETED = 3, FAILED = 4, CANCELLED = 5,
            READY = 6, TIMERS = 7, ACTIVE = 8;

    private static final VarHandle STEPS;

    static {
        try {
            STEPS = MethodHandles.lookup().findVarHandle(LoopStats.class, "steps", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EventLoop loop;
    /** Single writer, the loop thread; readers use opaque loads. */
    private final long[] slots = new long[9];
    private volatile LongConsumer lagRecorder;
    /**
     * Odd while the loop runs a callback or coroutine step (or I/O handlers in a poll: {@link
     * io.loopbridge.core.spi.LoopSpi#ioStarted}), even between them; bumped with an opaque store
     * on entry and on exit. The watchdog ({@link BlockedLoopChecker}) samples it: the same odd value twice
     * is the same callback still running. Two plain stores per callback, no clock read on the hot path.
     */
    private long steps;
    /** Written by the watchdog only: the nanoTime from which the current callback is known to run, or 0. */
    private volatile long blockedSince;
    private volatile long blockedEpisodes;

    LoopStats(EventLoop loop) {
        this.loop = loop;
    }

    /** Callbacks and coroutine steps run so far (cancelled ones are not run, so not counted). */
    public long callbacks() {
        return get(CALLBACKS);
    }

    /** Nanoseconds spent running callbacks and coroutine steps; its rate is the loop's utilisation. */
    public long busyNanos() {
        return get(BUSY);
    }

    /**
     * Nanoseconds spent processing I/O (reading, writing, running channel handlers; not waiting for it), for
     * a loop with I/O ({@link EventLoop.Builder#io}); else 0. Next to {@link #busyNanos()}.
     */
    public long ioNanos() {
        LoopIo.Driver io = loop.io;
        return io == null ? 0 : io.ioNanos();
    }

    /** Channels registered with the loop's I/O now; 0 for a loop without I/O. */
    public long channels() {
        LoopIo.Driver io = loop.io;
        return io == null ? 0 : io.registrations();
    }

    /** Callbacks that ran longer than the slow-callback threshold (timed in debug mode only). */
    public long slowCallbacks() {
        return get(SLOW);
    }

    /** Tasks that finished with a result. */
    public long tasksCompleted() {
        return get(COMPLETED);
    }

    /** Tasks that finished with an exception. */
    public long tasksFailed() {
        return get(FAILED);
    }

    /** Tasks that ended cancelled. */
    public long tasksCancelled() {
        return get(CANCELLED);
    }

    /** Callbacks ready to run at the end of the last iteration. */
    public long readyCount() {
        return get(READY);
    }

    /** Scheduled timers at the end of the last iteration. */
    public long timerCount() {
        return get(TIMERS);
    }

    /** Tasks created and not yet done. */
    public long activeTasks() {
        return get(ACTIVE);
    }

    /**
     * Whether the loop's watchdog (e.g. a {@code LoopPool}'s) finds it blocked now: one callback or coroutine
     * step has been running longer than the threshold. False when no watchdog watches the loop.
     */
    public boolean isBlocked() {
        return blockedSince != 0;
    }

    /** How long the callback the watchdog found blocked has been running (a lower bound), or 0. */
    public long blockedNanos() {
        long since = blockedSince;
        return since == 0 ? 0 : Math.max(1, System.nanoTime() - since);
    }

    /** Episodes of the loop being blocked, as seen by its watchdog: one per over-long callback. */
    public long blockedEpisodes() {
        return blockedEpisodes;
    }

    /** Thread-safe submissions not yet taken by the loop (an estimate while producers race). */
    public long inboxCount() {
        return loop.inbox.size();
    }

    /** See {@link io.loopbridge.core.spi.LoopSpi#setLagRecorder}. */
    void setLagRecorder(LongConsumer recorder) {
        this.lagRecorder = recorder;
    }

    LongConsumer lagRecorder() {
        return lagRecorder;
    }

    // ---- loop-thread writers -------------------------------------------------------------------

    void iteration(int ran, long busy, int ready, int timers) {
        add(CALLBACKS, ran);
        add(BUSY, busy);
        set(READY, ready);
        set(TIMERS, timers);
    }

    /** Loop thread, around each callback: odd while it runs. */
    void stepStarted() {
        STEPS.setOpaque(this, steps + 1);
    }

    void stepEnded() {
        STEPS.setOpaque(this, steps + 1);
    }

    /** The watchdog's view of {@link #steps}. */
    long steps() {
        return (long) STEPS.getOpaque(this);
    }

    /** Watchdog thread only (a single writer). */
    void blocked(long since) {
        blockedEpisodes = blockedEpisodes + 1;
        blockedSince = since;
    }

    void unblocked() {
        blockedSince = 0;
    }

    void slowCallback() {
        add(SLOW, 1);
    }

    void taskStarted() {
        add(ACTIVE, 1);
    }

    void taskDone(boolean cancelled, boolean failed) {
        add(ACTIVE, -1);
        add(cancelled ? CANCELLED : failed ? FAILED : COMPLETED, 1);
    }

    private long get(int slot) {
        return (long) SLOT.getOpaque(slots, slot);
    }

    private void set(int slot, long value) {
        SLOT.setOpaque(slots, slot, value);
    }

    private void add(int slot, long delta) {
        set(slot, slots[slot] + delta); // single writer: a plain read of our own last store is exact
    }
}
