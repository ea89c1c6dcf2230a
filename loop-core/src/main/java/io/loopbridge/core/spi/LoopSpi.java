package io.loopbridge.core.spi;

import io.loopbridge.core.EventLoop;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * What loopbridge's own modules (the bridge, the metrics and netty) need of a loop beyond its public API. Exported
 * only to them on the module path; on the class path it is visible, but it is not API: it may change in any
 * release.
 *
 * <p>loop-core implements it ({@link Access}, installed once when {@link EventLoop} is initialised, as the
 * JDK's {@code SharedSecrets} are), so that none of this has to be public on {@link EventLoop}.
 * Thread-safety: every method, any thread.
 */
public final class LoopSpi {
    private static volatile Access access;

    private LoopSpi() {
    }

    /** A typed key for a value attached to a loop. Compared by identity; the name is for humans. */
    public static final class Key<T> {
        private final String name;

        public Key(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return "LoopSpi.Key[" + name + "]";
        }
    }

    /**
     * A Runnable given to {@link EventLoop#execute} that owes someone an answer: if the loop closes after
     * accepting it and before running it, {@link #dropped()} runs instead, on the thread that closes the loop
     * (or that finds it closed). Exactly one of the two runs. The handle-free form of
     * {@code callSoonThreadsafe(callback, onDropped)}, for submissions that return no handle.
     */
    public interface Droppable extends Runnable {
        /** The loop was closed before this ran. */
        void dropped();
    }

    /** loop-core's side. */
    public interface Access {
        EventLoop runningLoopOrNull();

        boolean inLoop(EventLoop loop);

        void close(EventLoop loop, Throwable cause);

        Throwable closeCause(EventLoop loop);

        <T> T attachment(EventLoop loop, Key<T> key, Function<? super EventLoop, ? extends T> ifAbsent);

        <T> T removeAttachment(EventLoop loop, Key<T> key);

        void setLagRecorder(EventLoop loop, LongConsumer recorder);

        void stopAccepting(EventLoop loop);

        void ioStarted(EventLoop loop);

        void ioEnded(EventLoop loop);
    }

    /** Called once, by loop-core. */
    public static void install(Access implementation) {
        Objects.requireNonNull(implementation, "implementation");
        synchronized (LoopSpi.class) {
            if (access != null) {
                throw new IllegalStateException("LoopSpi is installed by loop-core, once");
            }
            access = implementation;
        }
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            EventLoop.coroutineEngine(); // initialises EventLoop, which installs the implementation
            a = access;
        }
        return a;
    }

    /** The loop running on the calling thread (its own thread or one of its coroutines), or null. */
    public static EventLoop runningLoopOrNull() {
        Access a = access;
        return a == null ? null : a.runningLoopOrNull(); // no loop class yet: no loop runs anywhere
    }

    /** Whether the caller is {@code loop}'s thread or one of its coroutines. */
    public static boolean inLoop(EventLoop loop) {
        return access().inLoop(Objects.requireNonNull(loop, "loop"));
    }

    /**
     * {@link EventLoop#close()} for a loop whose thread died of {@code cause}: whoever is told of work the
     * close drops (handles' {@code onDropped}, done-callbacks of destroyed tasks) can ask
     * {@link #closeCause} why. Not while the loop runs.
     */
    public static void close(EventLoop loop, Throwable cause) {
        access().close(Objects.requireNonNull(loop, "loop"), Objects.requireNonNull(cause, "cause"));
    }

    /** What {@code loop} was closed because of ({@link #close(EventLoop, Throwable)}), or null. */
    public static Throwable closeCause(EventLoop loop) {
        return access().closeCause(Objects.requireNonNull(loop, "loop"));
    }

    /**
     * The value attached to {@code loop} under {@code key}, made by {@code ifAbsent} on first demand (at most
     * one is kept when callers race). For per-loop resources owned by another module, such as the bridge's
     * default executor; they go with the loop.
     */
    public static <T> T attachment(EventLoop loop, Key<T> key, Function<? super EventLoop, ? extends T> ifAbsent) {
        return access().attachment(Objects.requireNonNull(loop, "loop"), Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(ifAbsent, "ifAbsent"));
    }

    /** Detaches and returns the value under {@code key}, or null if there was none. */
    public static <T> T removeAttachment(EventLoop loop, Key<T> key) {
        return access().removeAttachment(Objects.requireNonNull(loop, "loop"), Objects.requireNonNull(key, "key"));
    }

    /**
     * The first step of a graceful shutdown for a loop with I/O ({@link io.loopbridge.core.LoopIo.Driver#stopAccepting}):
     * its listening channels close; nothing happens to a loop without I/O. The loop's thread.
     */
    public static void stopAccepting(EventLoop loop) {
        access().stopAccepting(Objects.requireNonNull(loop, "loop"));
    }

    /**
     * The loop's I/O starts running channel handlers (or its own tasks) inside a poll, outside any callback: until
     * {@link #ioEnded}, the blocked-loop watchdog ({@link io.loopbridge.core.BlockedLoopChecker}) sees the loop as
     * busy, as during one callback, and reports a handler that blocks it. An opaque store each, no clock read. The
     * loop's thread, in {@link io.loopbridge.core.LoopIo.Driver#poll} only (never inside a callback), each call
     * paired with one {@link #ioEnded}.
     */
    public static void ioStarted(EventLoop loop) {
        access().ioStarted(loop);
    }

    /** The I/O work {@link #ioStarted} announced is over. The loop's thread, in the same poll. */
    public static void ioEnded(EventLoop loop) {
        access().ioEnded(loop);
    }

    /**
     * Installs the receiver of {@code loop}'s lag samples: nanoseconds from a thread-safe submission, or a
     * timer's deadline, to the moment the loop took it. The loop calls it on its own thread, at most one
     * submission and one timer per millisecond. Null turns it off.
     */
    public static void setLagRecorder(EventLoop loop, LongConsumer recorder) {
        access().setLagRecorder(Objects.requireNonNull(loop, "loop"), recorder);
    }
}
