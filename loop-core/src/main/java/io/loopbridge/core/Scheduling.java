package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.util.ArrayDeque;

/**
 * Where a handle goes when it is scheduled: the ready queue on the loop's thread ({@code call_soon}), the
 * inbox from any other thread ({@code call_soon_threadsafe}), the timer heap for later ({@code call_at}). In
 * debug mode each remembers where it was scheduled; the debug flag lives here, read on every schedule.
 *
 * <p>What returns no handle ({@link EventLoop#execute}, the library's own submissions) queues the bare
 * Runnable: the queues hold both, and {@link Iteration} runs both. In debug mode it gets a handle after all,
 * so that it too remembers where it was scheduled.
 */
final class Scheduling {
    private final EventLoop loop;
    private final ArrayDeque<Object> ready;
    private final TimerQueue timers;
    private final Inbox inbox;
    private final Confinement confinement;
    private final DebugMode debugMode;
    /** {@code loop.set_debug}: read on every schedule and every iteration. Any thread. */
    volatile boolean debug;
    /** Orders timers with equal deadlines. Loop thread only. */
    private long timerSequence;

    Scheduling(EventLoop loop, Inbox inbox, DebugMode debugMode, boolean debug) {
        this.loop = loop;
        this.ready = loop.ready;
        this.timers = loop.timers;
        this.inbox = inbox;
        this.confinement = loop.confinement;
        this.debugMode = debugMode;
        this.debug = debug;
    }

    /** {@code h} joins the ready queue: {@code callSoon}, for a handle made by this package too. Loop thread only. */
    Handle addReady(Handle h) {
        confinement.checkOpen();
        confinement.checkThread("callSoon", "callSoonThreadsafe");
        if (debug) {
            debugMode.scheduled(h);
        }
        ready.add(h);
        return h;
    }

    /** {@code callSoon} for a callback no one gets a handle of (a {@link LoopSpi.Droppable} is told if dropped). Loop thread only. */
    void addReady(Runnable r) {
        if (debug) {
            addReady(handleFor(r));
            return;
        }
        confinement.checkOpen();
        confinement.checkThread("callSoon", "callSoonThreadsafe");
        ready.add(r);
    }

    /** A timer running {@code callback} at {@code whenNanos}: {@code callAt}. Loop thread only. */
    TimerHandle addTimer(long whenNanos, Runnable callback) {
        return addTimer(new TimerHandle(loop, callback, whenNanos));
    }

    /** {@code t} joins the timer heap: {@code callAt}, for a timer made by this package too. Loop thread only. */
    <T extends TimerHandle> T addTimer(T t) {
        confinement.checkOpen();
        confinement.checkThread("callAt/callLater", "callSoonThreadsafe(() -> loop.callLater(...))");
        t.sequence = timerSequence++;
        if (debug) {
            debugMode.scheduled(t);
        }
        timers.add(t);
        return t;
    }

    /** {@code callSoonThreadsafe}: any thread. */
    Handle addThreadsafe(Handle h) {
        if (debug) {
            debugMode.scheduled(h);
        }
        enqueue(h, false);
        return h;
    }

    /** {@link EventLoop#execute}: {@code callSoonThreadsafe} without a handle. Any thread. */
    void execute(Runnable r) {
        if (debug) {
            addThreadsafe(handleFor(r));
        } else {
            enqueue(r, false);
        }
    }

    /** The handle debug mode gives a bare Runnable: a {@link LoopSpi.Droppable} is still told if dropped. */
    private Handle handleFor(Runnable r) {
        return r instanceof LoopSpi.Droppable d ? new Handle.Owed(loop, d, d::dropped) : new Handle(loop, r);
    }

    /**
     * Queues a handle made by this package (a task's step), or a bare Runnable, from any thread: to the ready
     * queue on the loop, else to the inbox (a virtual thread may be unparked by any thread). {@code owner} says
     * the caller is entitled to the loop anyway (it holds the loop's confinement, e.g. createTask before run).
     */
    void enqueue(Object h, boolean owner) {
        if (owner || confinement.inLoop()) {
            confinement.checkOpen();
            ready.add(h);
        } else {
            inbox.offer(h);
        }
    }
}
