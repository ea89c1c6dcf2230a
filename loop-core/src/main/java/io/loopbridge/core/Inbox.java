package io.loopbridge.core;

import io.loopbridge.core.spi.IdleStrategy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * A loop's thread-safe side: the queue other threads submit to, the wake-up of an idle loop, the lag stamp,
 * and the drop of what is left when the loop closes. Many producers, one consumer (the loop's thread, or
 * after close whoever drops).
 *
 * <p>Waking: the loop sets {@code wakeupNeeded} before its last look at the queue and parks only if it is
 * still empty; a producer offers first and wakes only if it then sees the flag (a Dekker pair: at least one
 * of them sees the other). A loop that is spinning, or busy, costs its producers no system call.
 *
 * <p>Lag: when the loop wants a sample, the next producer offers its submission wrapped with the time
 * ({@link Stamped}); the loop unwraps it when it takes it. The time travels with the submission, so the same
 * Runnable given to {@code execute} many times is no trouble, and no stamp can be left behind.
 */
final class Inbox {
    private static final VarHandle WAKEUP_NEEDED;
    private static final VarHandle DRAINING;
    private static final VarHandle STAMP_NEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WAKEUP_NEEDED = l.findVarHandle(Inbox.class, "wakeupNeeded", int.class);
            DRAINING = l.findVarHandle(Inbox.class, "draining", int.class);
            STAMP_NEXT = l.findVarHandle(Inbox.class, "stampNext", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EventLoop loop;
    /** The loop's open/closed flag and running thread, read on every offer. */
    private final Confinement confinement;
    /** Handles, and the bare Runnables of {@link EventLoop#execute} (no handle to hand back, so none is made). */
    private final MpscUnboundedXaddArrayQueue<Object> queue = new MpscUnboundedXaddArrayQueue<>(1024);
    private final IdleWaiter waiter;
    private final IdleStrategy idle;
    /** 1 while the loop is parked or about to park: only then does a producer need to wake it. */
    private volatile int wakeupNeeded;
    /** After close: a CAS token that lets any thread take the consumer's role to drop what is left. */
    private volatile int draining;
    /** 1 when the loop wants the next submission timestamped for a lag sample. */
    private volatile int stampNext;
    /** Told of each submission dropped after close. */
    private final Consumer<Object> onDropped;

    Inbox(EventLoop loop, IdleWaiter waiter, IdleStrategy idle, Consumer<Object> onDropped) {
        this.loop = loop;
        this.confinement = loop.confinement;
        this.waiter = waiter;
        this.idle = idle;
        this.onDropped = onDropped;
    }

    // ---- any thread -------------------------------------------------------------------------------

    /**
     * Queues {@code h} (a {@link Handle} or a Runnable) for the loop and wakes it if it is parked. A submission
     * the loop never takes, because it closed first, is dropped (told through {@link Handle#dropped()} or
     * {@link io.loopbridge.core.spi.LoopSpi.Droppable#dropped()}): nothing offered is silently lost.
     *
     * @throws RejectedExecutionException if the loop is already closed (then {@code h} is not told)
     */
    void offer(Object h) {
        if (confinement.closed) {
            throw confinement.rejected();
        }
        queue.offer(stampNext != 0 && STAMP_NEXT.compareAndSet(this, 1, 0) ? new Stamped(h, System.nanoTime()) : h);
        if (confinement.closed) {
            dropAll(); // close() may have dropped before our offer: whoever drops last tells this one
        } else if (wakeupNeeded != 0 && WAKEUP_NEEDED.compareAndSet(this, 1, 0)) {
            waiter.wakeUp(confinement.thread);
        }
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    // ---- the loop's thread ------------------------------------------------------------------------

    /**
     * Waits until a submission arrives, {@code timeoutNanos} pass (negative: no timeout) or the waiter returns
     * early: spins first ({@link IdleStrategy}), then parks through the waiter. Returns whether the waiter ran.
     */
    boolean awaitWork(long timeoutNanos) {
        long start = System.nanoTime();
        long budget = timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos;
        while (queue.isEmpty()) {
            if (!idle.spin(start, budget)) {
                long left = budget - (System.nanoTime() - start);
                boolean parked = left > 0 && park(timeoutNanos < 0 ? -1 : left);
                if (!parked || !queue.isEmpty()) {
                    idle.waitEnded(start, parked); // a timeout (a timer due) teaches nothing about submissions
                }
                return parked;
            }
        }
        idle.waitEnded(start, false);
        return false;
    }

    private boolean park(long timeoutNanos) {
        WAKEUP_NEEDED.setVolatile(this, 1);
        try {
            if (!queue.isEmpty()) {
                return false;
            }
            waiter.waitForWork(timeoutNanos);
        } finally {
            WAKEUP_NEEDED.setOpaque(this, 0); // a producer that still saw 1 costs one spurious wake-up
        }
        if (Thread.interrupted()) {
            // A flag left set (by a callback restoring it, say) would make every park return at once: an idle
            // loop spinning a core. Like Netty's loops we clear it; stop() is how to stop a loop.
            EventLoop.log.debug("Event loop '{}' woke up because its thread was interrupted; use stop() to stop it",
                    loop.name());
        }
        return true;
    }

    /** Asks the next producer to timestamp its submission. */
    void requestLagStamp() {
        STAMP_NEXT.setOpaque(this, 1);
    }

    /**
     * Moves to {@code ready} what was queued when the drain began (asyncio's {@code ntodo}: producers faster
     * than the loop must not keep it draining for ever), as if {@code callSoon} had been called when each
     * arrived. Feeds a stamped submission's lag to {@code lag}, if any.
     */
    void drainInto(ArrayDeque<Object> ready, long now, LongConsumer lag) {
        Object h;
        for (int n = queue.size(); n > 0 && (h = queue.relaxedPoll()) != null; n--) {
            if (h instanceof Stamped s) {
                if (lag != null) {
                    lag.accept(Math.max(0, now - s.at)); // stamped after this iteration began: no lag
                }
                h = s.submission;
            }
            ready.add(h);
        }
    }

    // ---- closing ----------------------------------------------------------------------------------

    /**
     * Once the loop is closed (from then on {@link #offer} refuses): drops whatever is queued, telling each handle. Any thread; one drops at a time and the others wait for
     * it (it may be telling their own handles), so that close(), or an offer that found the loop closed,
     * returns only when everything it could have queued has been told.
     */
    void dropAll() {
        while (!queue.isEmpty() || draining != 0) {
            if (!DRAINING.compareAndSet(this, 0, 1)) {
                Thread.yield();
                continue;
            }
            try {
                Object h;
                while ((h = queue.poll()) != null) {
                    onDropped.accept(h instanceof Stamped s ? s.submission : h);
                }
            } finally {
                DRAINING.setVolatile(this, 0);
            }
        }
    }

    /** A submission that took the lag sample, and when it was offered: unwrapped when the loop takes it. */
    private record Stamped(Object submission, long at) {
    }
}
