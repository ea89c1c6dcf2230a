package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.BlockedLoopChecker;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.ExceptionHandler;
import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * A fixed number of event loops, each running {@link EventLoop#runForever()} on its own platform thread:
 * what a server embeds so that its ordinary threads can hand work to loops. asyncio has one loop per thread
 * and leaves pooling to the user; this is Netty's {@code EventLoopGroup} for asyncio-style loops: the pool is
 * its members ({@code PooledLoop}, each the owner of one loop and its thread) and a chooser, behind this façade.
 *
 * <pre>{@code
 * try (LoopPool pool = LoopPool.builder().loops(4).name("api").build()) {
 *     CompletableFuture<String> f = pool.submit(() -> Aio.sleep(Duration.ofMillis(5), "done"));
 *     f.join();
 * }
 * }</pre>
 *
 * <p>Thread-safety: every method may be called from any thread.
 *
 * <p>Shutdown ({@link #shutdownGracefully}, {@link #close}): new submissions are rejected at once with a
 * {@link RejectedExecutionException} naming the pool; running tasks may finish until the grace period
 * ends; then each loop cancels its remaining tasks and runs those cancellations to completion (up to
 * {@link Builder#cancellationTimeout}), rejects work still queued, stops and closes (a task still pending is
 * destroyed by the close, and its future cancelled), and its thread ends. Every future handed out
 * completes.
 *
 * <p>A loop thread that dies (an {@link Error} escaping its loop, e.g. an {@link OutOfMemoryError} in a
 * callback) is reported to the exception handler and counted ({@link #deadLoopCount()}); its loop is
 * closed, so every future of its work completes (with an {@link IllegalStateException} caused by the
 * error); the pool serves on with its other loops, and replaces the dead one if
 * {@link Builder#replaceDeadLoops} asks for it.
 *
 * <p>A watchdog thread (a daemon, one per pool, see {@link BlockedLoopChecker}) reports a loop that runs one
 * callback or coroutine step longer than {@link Builder#blockedThreshold} (default 2 s): once per episode to
 * the exception handler and as a WARN log with the blocked thread's stack, then a stack every 5 s while it
 * lasts. It stops when the pool terminates.
 */
public final class LoopPool implements Executor, AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** How {@link #next()} picks a loop. */
    public enum Selection {
        /** Each loop in turn (the default). */
        ROUND_ROBIN,
        /** The loop with the fewest callbacks waiting (inbox + ready queue), a snapshot at most one iteration old. */
        LEAST_LOADED
    }

    /** What a submission does when its loop already holds the bound of pending submissions. */
    public enum WhenFull {
        /** Fail at once with {@link RejectedExecutionException}. */
        REJECT,
        /** Wait for a place up to the timeout, then fail with {@link RejectedExecutionException}. */
        CALLER_BLOCKS
    }

    private final String name;
    /** The members, the pool's state and its termination. */
    final PoolMembers members;
    /** The builder's settings, a copy of its own. */
    final PoolSettings settings;
    private final ContextPropagator contextPropagator;
    /** Closes the pool when the JVM exits, if asked; else null. */
    private final JvmShutdownHook shutdownHook;
    private final ExecutorService executorView = new PoolExecutorService(this);

    final LongAdder submitted = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    final LongAdder deadLoops = new LongAdder();
    /** See {@link #setRoundTripRecorder}; read by {@link BridgeFuture}. */
    volatile LongConsumer roundTripRecorder;

    private LoopPool(PoolSettings s) {
        this.settings = s;
        this.name = s.name != null ? s.name : "loop-pool-" + POOLS.incrementAndGet();
        this.contextPropagator = s.contextPropagator != null ? s.contextPropagator : Bridge.getContextPropagator();
        this.members = new PoolMembers(this, s);
        this.shutdownHook = s.shutdownHook ? new JvmShutdownHook(this) : null;
    }

    /** A pool of {@code loops} loops with default settings. */
    public static LoopPool create(int loops) {
        return builder().loops(loops).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- picking a loop -----------------------------------------------------------------------------

    /** The pool's name, used in thread names, rejections and metrics. */
    public String name() {
        return name;
    }

    /** The loops now serving (a dead loop not replaced is left out), in slot order. */
    public List<EventLoop> loops() {
        return members.loops();
    }

    /**
     * The loop for the next piece of work, by the pool's {@link Selection}. Skips dead loops.
     *
     * @throws RejectedExecutionException if the pool is shut down or has no live loop
     */
    public EventLoop next() {
        return members.next().loop;
    }

    /**
     * The loop for {@code key}: the same key always reaches the same loop while the pool lives (a dead loop's
     * keys move to the next live slot, or stay with its replacement). For per-key ordering and state.
     */
    public EventLoop loopFor(Object key) {
        return members.choose(new LoopChooser.ByKey(Objects.requireNonNull(key, "key"))).loop;
    }

    // ---- submitting ---------------------------------------------------------------------------------

    /**
     * Runs {@code coroutine} as a task on {@link #next()}:
     * {@code Bridge.runCoroutineThreadsafe(coroutine, pool.next())}, with all its guarantees.
     *
     * @throws RejectedExecutionException if the pool is shut down, or the loop's bound is reached
     */
    public <T> CompletableFuture<T> submit(Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine");
        PooledLoop m = members.next();
        return Bridge.submit(coroutine, m.loop, m, true);
    }

    /**
     * Runs {@code command} as a plain callback on {@link #next()} ({@code loop.callSoonThreadsafe}); if it
     * throws, the loop's exception handler is told. Cheaper than a task, but it must not block.
     *
     * @throws RejectedExecutionException if the pool is shut down, or the loop's bound is reached
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        members.next().execute(command);
    }

    /**
     * This pool as an {@link ExecutorService}, for code that expects one: every {@code Callable} or
     * {@code Runnable} runs as a coroutine task (so a JDK blocking call in it frees the loop with the fast
     * engine, and {@code cancel(true)} or {@code shutdownNow()} interrupts it). The futures returned are
     * the bridge's {@link CompletableFuture}s, completed on the loop thread. {@code shutdown()} is a
     * graceful shutdown with no time limit, {@code shutdownNow()} one with no grace, {@code close()} is
     * {@link #close()}: all shut the whole pool. Unlike {@code ThreadPoolExecutor}, {@code shutdownNow()}
     * returns an empty list: work that never started is not handed back but completed through its future
     * (cancelled, or rejected). {@code invokeAll}/{@code invokeAny} cancel what they no longer need.
     */
    public ExecutorService asExecutorService() {
        return executorView;
    }

    /**
     * What carries the submitter's context into this pool's work ({@link Builder#contextPropagator}): used by
     * {@link #submit}, {@link #asExecutorService()}, and every {@link Bridge} call given one of its loops or made
     * in one of its coroutines ({@code toThread}, {@code runInExecutor}). Any thread.
     */
    public ContextPropagator contextPropagator() {
        return contextPropagator;
    }

    // ---- metrics ------------------------------------------------------------------------------------

    /** Submissions accepted by a loop so far (counter {@code loopbridge.bridge.submitted}). */
    public long submittedCount() {
        return submitted.sum();
    }

    /** Submissions rejected so far (counter {@code loopbridge.bridge.rejected}). */
    public long rejectedCount() {
        return rejected.sum();
    }

    /** Loop threads that died so far. */
    public long deadLoopCount() {
        return deadLoops.sum();
    }

    /**
     * Installs the receiver of round-trip times: nanoseconds from a bridge submission to the completion of
     * its future (timer {@code loopbridge.bridge.roundtrip}), for one round trip in {@value #ROUND_TRIP_SAMPLE}
     * chosen at random: a distribution, not a count ({@link #submittedCount()} counts). Timing every one
     * (two clock reads and a histogram record) cost a microsecond round trip 8–9 %. Called on the
     * completing thread, usually a loop thread: it must be thread-safe and cheap. Null turns it (and its
     * timestamps) off.
     */
    public void setRoundTripRecorder(LongConsumer recorder) {
        this.roundTripRecorder = recorder;
    }

    /** One bridge round trip in this many is timed for {@link #setRoundTripRecorder}. */
    public static final int ROUND_TRIP_SAMPLE = 16;

    // ---- shutdown -----------------------------------------------------------------------------------

    /**
     * Starts a graceful shutdown (see the class comment) and returns a future completed when every loop is
     * closed and every loop thread has ended (a copy: completing it does not terminate anything). Calling
     * it again with a shorter grace shortens the shutdown under way. Any thread, including a loop thread of
     * this pool.
     */
    public CompletableFuture<Void> shutdownGracefully(Duration grace) {
        members.shutdown(System.nanoTime() + PoolSettings.nanos(Objects.requireNonNull(grace, "grace")));
        if (shutdownHook != null) {
            shutdownHook.remove();
        }
        return members.termination.future();
    }

    /**
     * Shuts down gracefully with the builder's {@link Builder#closeGrace} and waits until every loop thread
     * has ended. (A callback that blocks its loop thread for ever holds this up for ever: a loop can only
     * stop between callbacks.) Interrupts are remembered, not obeyed.
     *
     * @throws IllegalStateException on one of this pool's loop threads (it would wait for itself)
     */
    @Override
    public void close() {
        members.checkCallerIsNotMember();
        shutdownGracefully(settings.closeGrace);
        members.termination.awaitUninterruptibly();
    }

    /** Whether a shutdown has started. */
    public boolean isShutdown() {
        return members.state() != PoolMembers.State.RUNNING;
    }

    /** Whether every loop is closed and every loop thread has ended. */
    public boolean isTerminated() {
        return members.state() == PoolMembers.State.TERMINATED;
    }

    /** Completed when the pool has terminated (see {@link #shutdownGracefully}). */
    public CompletableFuture<Void> terminationFuture() {
        return members.termination.future();
    }

    /**
     * Runs {@code hook} once the pool has terminated, before any {@link #terminationFuture()} or
     * {@link #shutdownGracefully} future completes (at once, here, if it already has). For resources tied to the
     * pool's life, such as its meters. A hook that throws is logged and the others still run. Any thread.
     */
    public void onTermination(Runnable hook) {
        members.termination.onTermination(Objects.requireNonNull(hook, "hook"));
    }

    /**
     * Runs {@code hook} with the dead loop and its replacement each time the pool replaces a loop whose thread died
     * ({@link Builder#replaceDeadLoops}), on the dead loop's thread once the replacement has started: for resources
     * kept per loop, such as its meters. A hook that throws is logged and the others still run. Any thread.
     */
    public void onLoopReplaced(BiConsumer<EventLoop, EventLoop> hook) {
        members.onLoopReplaced(Objects.requireNonNull(hook, "hook"));
    }

    /** A rejection naming this pool, counted. */
    RejectedExecutionException rejection(String why) {
        rejected.increment();
        return new RejectedExecutionException("LoopPool '" + name + "' rejected the work: " + why);
    }

    @Override
    public String toString() {
        return "LoopPool[" + name + ", " + members.size() + " loops" + members.state().suffix + "]";
    }

    /**
     * Builds a {@link LoopPool}. The loops' own settings are {@link #loopDefaults}, applied to each loop's
     * {@link EventLoop.Builder}; the rest are the pool's. Not thread-safe.
     */
    public static final class Builder {
        private final PoolSettings settings = new PoolSettings();

        private Builder() {
        }

        /**
         * Settings of every loop the pool makes, a replacement included: {@code defaults} is applied to each
         * loop's {@link EventLoop.Builder}, then the pool names the loop. It is tried at once on a throwaway
         * builder, so that a bad value fails here. Calls compose, in order:
         * {@code loopDefaults(l -> l.idleSpin(Duration.ZERO).debug(true))}.
         */
        public Builder loopDefaults(Consumer<EventLoop.Builder> defaults) {
            settings.loopDefaults(defaults);
            return this;
        }

        /** {@code loopDefaults(l -> l.debug(debug))}: see {@link EventLoop.Builder#debug}. */
        public Builder debug(boolean debug) {
            return loopDefaults(l -> l.debug(debug));
        }

        /** {@code loopDefaults(l -> l.slowCallbackDuration(threshold))}: see {@link EventLoop.Builder#slowCallbackDuration}. */
        public Builder slowCallbackDuration(Duration threshold) {
            return loopDefaults(l -> l.slowCallbackDuration(threshold));
        }

        /** {@code loopDefaults(l -> l.idleSpin(spin))}: see {@link EventLoop.Builder#idleSpin}. */
        public Builder idleSpin(Duration spin) {
            return loopDefaults(l -> l.idleSpin(spin));
        }

        /** {@code loopDefaults(l -> l.exceptionHandler(handler))}; the handler is also told when a loop thread dies. */
        public Builder exceptionHandler(ExceptionHandler handler) {
            return loopDefaults(l -> l.exceptionHandler(handler));
        }

        /**
         * How long one callback or coroutine step may run before the watchdog reports its loop as blocked
         * (default 2 s, as Vert.x); {@link Duration#ZERO} switches the watchdog off (no thread).
         */
        public Builder blockedThreshold(Duration threshold) {
            settings.blockedThreshold = Checks.requireNonNegative(threshold, "threshold");
            return this;
        }

        /** How many loops (and threads). Default: available processors. */
        public Builder loops(int loops) {
            settings.loops(loops);
            return this;
        }

        /** The pool's name (rejections, metrics tag {@code pool}). Default {@code loop-pool-N}. */
        public Builder name(String name) {
            settings.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Prefix of the loops' (and their threads') names, followed by a number. Default {@code <name>-loop-}. */
        public Builder threadNamePrefix(String prefix) {
            settings.threadPrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /** Whether the loop threads are daemon threads (default false: an open pool keeps the JVM alive). */
        public Builder daemon(boolean daemon) {
            settings.daemon = daemon;
            return this;
        }

        /** How {@link LoopPool#next()} picks a loop (default {@link Selection#ROUND_ROBIN}). */
        public Builder selection(Selection selection) {
            settings.selection = Objects.requireNonNull(selection, "selection");
            return this;
        }

        /**
         * What carries the submitter's context into this pool's work (see {@link LoopPool#contextPropagator()}).
         * Default: {@link Bridge#getContextPropagator()} as it is when {@link #build()} is called.
         */
        public Builder contextPropagator(ContextPropagator propagator) {
            settings.contextPropagator = Objects.requireNonNull(propagator, "propagator");
            return this;
        }

        /**
         * Bounds the thread-safe submissions waiting in each loop's inbox to {@code maxPending}; when full,
         * {@link WhenFull#REJECT} fails at once. Default: unbounded.
         */
        public Builder maxPendingSubmissions(int maxPending) {
            return maxPendingSubmissions(maxPending, WhenFull.REJECT, Duration.ZERO);
        }

        /**
         * Bounds the thread-safe submissions waiting in each loop's inbox; when full, {@code whenFull} says
         * what happens; {@link WhenFull#CALLER_BLOCKS} waits up to {@code blockTimeout} (backpressure for a
         * legacy pool), then rejects. A loop thread submitting to its own full loop is rejected at once.
         */
        public Builder maxPendingSubmissions(int maxPending, WhenFull whenFull, Duration blockTimeout) {
            settings.maxPending(maxPending, whenFull, blockTimeout);
            return this;
        }

        /** Registers a JVM shutdown hook that {@link #close()}s the pool (removed when it shuts down). */
        public Builder shutdownHook(boolean enabled) {
            settings.shutdownHook = enabled;
            return this;
        }

        /** Replace a loop whose thread died with a new loop in the same slot (default false). */
        public Builder replaceDeadLoops(boolean replace) {
            settings.replaceDeadLoops = replace;
            return this;
        }

        /** The grace period of {@link #close()} (default 10 s). */
        public Builder closeGrace(Duration grace) {
            settings.closeGrace = Checks.requireNonNegative(grace, "grace");
            return this;
        }

        /**
         * How long, after the grace period, cancelled tasks may take to finish before their loop is closed
         * under them (default 5 s).
         */
        public Builder cancellationTimeout(Duration timeout) {
            settings.cancellationTimeout = Checks.requireNonNegative(timeout, "timeout");
            return this;
        }

        public LoopPool build() {
            return new LoopPool(settings.copy());
        }
    }
}
