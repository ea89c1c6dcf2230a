package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.BlockedLoopChecker;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.LoopSpi;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members of a {@link LoopPool} and the pool's life: its slots, every member ever started, the chooser,
 * the replacement of dead members, the watchdog, and the termination, which comes when every member has
 * terminated. Netty's {@code MultithreadEventExecutorGroup} (children, chooser, termination future). Any thread.
 */
final class PoolMembers {
    /*
     * The pool's life (field `state`; moved under `this`, except to TERMINATED):
     *
     *   RUNNING ──shutdown(deadline)──▶ SHUTTING_DOWN ──every member ever started has terminated──▶ TERMINATED
     *    │   ▲                           │   ▲                                                       (watchdog closed,
     *    └───┘                           └───┘                                                        hooks run, then
     *    a member dies: a new one        shutdown(closer deadline): every member's drain              the futures
     *    in its slot, if asked           deadline moves closer; no member is replaced now              complete)
     *
     * Each member's own life (SERVING → DRAINING → CANCELLING → STOPPED → closed → TERMINATED, or DEAD) is drawn
     * in PooledLoop.
     */
    enum State {
        RUNNING(""), SHUTTING_DOWN(", shutting down"), TERMINATED(", terminated");

        /** How the pool's {@code toString()} shows it. */
        final String suffix;

        State(String suffix) {
            this.suffix = suffix;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(LoopPool.class);

    private final LoopPool pool;
    private final Consumer<EventLoop.Builder> loopDefaults;
    private final String threadPrefix;
    private final boolean daemon;
    private final boolean replaceDeadLoops;
    private final LoopChooser chooser;
    /** The blocked-loop watchdog, or null when switched off. */
    private final BlockedLoopChecker watchdog;
    final Termination termination;
    /** Told (dead, replacement) each time a dead member is replaced. */
    private final List<BiConsumer<EventLoop, EventLoop>> replacementHooks = new CopyOnWriteArrayList<>();

    /** The current member of each slot; replaced copy-on-write (under this) when a dead member is replaced. */
    private volatile PooledLoop[] slots;
    /** Every member ever started: the pool has terminated when all have. Guarded by this. */
    private final List<PooledLoop> started = new ArrayList<>();
    /** Loops made so far, for their names. Guarded by this. */
    private int made;
    private volatile State state = State.RUNNING;
    /** System.nanoTime() when the grace period ends, once SHUTTING_DOWN. Guarded by this. */
    private long deadline;

    /** Makes and starts {@code b.loops} members of {@code pool}. */
    PoolMembers(LoopPool pool, PoolSettings b) {
        this.pool = pool;
        this.loopDefaults = b.loopDefaults;
        this.threadPrefix = b.threadPrefix != null ? b.threadPrefix : pool.name() + "-loop-";
        this.daemon = b.daemon;
        this.replaceDeadLoops = b.replaceDeadLoops;
        this.chooser = LoopChooser.of(b.selection);
        this.watchdog = b.blockedThreshold.isZero() ? null
                : new BlockedLoopChecker(pool.name() + "-watchdog", b.blockedThreshold);
        this.termination = new Termination(pool.name());
        synchronized (this) { // a member dying at once is replaced only once all are in place
            PooledLoop[] ms = new PooledLoop[b.loops];
            for (int i = 0; i < ms.length; i++) {
                ms[i] = newMember(i);
            }
            slots = ms;
            for (PooledLoop m : ms) {
                m.thread.start();
            }
        }
    }

    State state() {
        return state;
    }

    int size() {
        return slots.length;
    }

    /** The live members' loops, in slot order. */
    List<EventLoop> loops() {
        List<EventLoop> loops = new ArrayList<>();
        for (PooledLoop m : slots) {
            if (!m.dead) {
                loops.add(m.loop);
            }
        }
        return List.copyOf(loops);
    }

    /** The member {@code chooser} picks among the slots; a rejection if none is alive. */
    PooledLoop choose(LoopChooser chooser) {
        PooledLoop chosen = chooser.choose(slots);
        if (chosen == null) {
            throw pool.rejection("none of its event loops is alive");
        }
        return chosen;
    }

    /** The member for the next piece of work, by the pool's chooser; a rejection if the pool is shut down. */
    PooledLoop next() {
        checkAccepting();
        return choose(chooser);
    }

    /** A rejection if the pool is shut down. Any thread. */
    void checkAccepting() {
        if (state != State.RUNNING) {
            throw pool.rejection("it is shut down");
        }
    }

    /** Fails on one of the members' threads or coroutines: it must not wait for the pool ({@code close()}). */
    void checkCallerIsNotMember() {
        for (PooledLoop m : slots) {
            if (m.thread == Thread.currentThread() || LoopSpi.inLoop(m.loop)) {
                var task = LoopSpi.runningLoopOrNull() != null ? Aio.currentTask() : null; // a virtual thread may have no name
                throw new IllegalStateException("LoopPool '" + pool.name() + "' cannot be closed from its own loop thread or"
                        + " one of its coroutines ('" + (task != null ? task.getName() : Thread.currentThread().getName())
                        + "'): it would wait for itself; use shutdownGracefully(...) and do not wait");
            }
        }
    }

    /** A new member for {@code slot}, its thread not started. Under this. */
    private PooledLoop newMember(int slot) {
        EventLoop.Builder loop = EventLoop.builder();
        loopDefaults.accept(loop);
        PooledLoop m = new PooledLoop(pool, this, slot, loop.name(threadPrefix + made++).build(), daemon);
        if (watchdog != null) {
            watchdog.watch(m.loop);
        }
        started.add(m);
        return m;
    }

    /**
     * {@code dead}'s thread died: start a member in its slot, if asked and still RUNNING, then tell the
     * replacement hooks. Its thread.
     */
    void replace(PooledLoop dead) {
        PooledLoop replacement;
        synchronized (this) {
            if (!replaceDeadLoops || state != State.RUNNING) {
                return;
            }
            PooledLoop[] ms = slots.clone();
            replacement = ms[dead.index] = newMember(dead.index);
            slots = ms;
            replacement.thread.start();
        }
        for (BiConsumer<EventLoop, EventLoop> hook : replacementHooks) {
            try {
                hook.accept(dead.loop, replacement.loop);
            } catch (RuntimeException e) {
                log.warn("replacement hook of pool {} failed", pool.name(), e);
            }
        }
    }

    /** See {@link LoopPool#onLoopReplaced}. */
    void onLoopReplaced(BiConsumer<EventLoop, EventLoop> hook) {
        replacementHooks.add(hook);
    }

    /**
     * RUNNING → SHUTTING_DOWN with the grace period ending at {@code deadlineNanos}, or brings the deadline of
     * the shutdown under way closer; every member drains towards it.
     */
    void shutdown(long deadlineNanos) {
        List<PooledLoop> all = null;
        synchronized (this) {
            if (state == State.RUNNING) {
                state = State.SHUTTING_DOWN;
                deadline = deadlineNanos;
                all = List.copyOf(started);
            } else if (deadlineNanos - deadline < 0) {
                deadline = deadlineNanos;
            }
            for (PooledLoop m : slots) {
                m.shutdown(deadline); // a member ignores a deadline no closer than its own
            }
        }
        if (all != null) {
            CompletableFuture.allOf(all.stream().map(PooledLoop::terminationFuture).toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, never) -> terminated());
        }
    }

    /** Every member ever started has terminated: close the watchdog, run the hooks, complete the futures. */
    private void terminated() {
        state = State.TERMINATED;
        if (watchdog != null) {
            watchdog.close();
        }
        termination.complete();
    }
}
