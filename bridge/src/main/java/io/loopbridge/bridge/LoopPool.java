package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.BlockedLoopChecker;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.ExceptionHandler;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.core.TimerHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A fixed number of event loops, each running {@link EventLoop#runForever()} on its own platform thread:
 * what a server embeds so that its ordinary threads can hand work to loops. asyncio has one loop per thread
 * and leaves pooling to the user; this is Netty's {@code EventLoopGroup} for asyncio-style loops.
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
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoopPool.class);
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

    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final int RUNNING = 0, SHUTTING_DOWN = 1, TERMINATED = 2;

    private final String name;
    private final String threadPrefix;
    private final boolean daemon;
    private final Selection selection;
    private final boolean debug;
    private final Duration slowCallbackDuration;
    /** Null: the loops' own default. */
    private final Duration idleSpin;
    private final ExceptionHandler exceptionHandler;
    final int maxPending;
    final WhenFull whenFull;
    final long blockTimeoutNanos;
    private final boolean replaceDeadLoops;
    private final Duration closeGrace;
    private final long cancellationTimeoutNanos;
    private final Thread shutdownHook;
    /** The blocked-loop watchdog, or null when switched off. */
    private final BlockedLoopChecker watchdog;

    /** The current member of each slot; replaced copy-on-write (under this) when a dead loop is replaced. */
    private volatile PooledLoop[] members;
    /** Every member ever started, for the terminator to join. Guarded by this. */
    private final List<PooledLoop> started = new ArrayList<>();
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final AtomicInteger loopCounter = new AtomicInteger();
    private volatile int state = RUNNING;
    /** System.nanoTime() when the grace period ends. Guarded by this; read by the drainers. */
    private volatile long shutdownDeadline;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    /** Run once, just before {@link #termination} completes (e.g. metrics removing their meters). */
    private final java.util.List<Runnable> terminationHooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile ExecutorService executorView;

    final LongAdder submitted = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder deadLoops = new LongAdder();
    volatile LongConsumer roundTripRecorder;

    private LoopPool(Builder b) {
        this.name = b.name != null ? b.name : "loop-pool-" + POOLS.incrementAndGet();
        this.threadPrefix = b.threadPrefix != null ? b.threadPrefix : name + "-loop-";
        this.daemon = b.daemon;
        this.selection = b.selection;
        this.debug = b.debug;
        this.slowCallbackDuration = b.slowCallbackDuration;
        this.idleSpin = b.idleSpin;
        this.exceptionHandler = b.exceptionHandler;
        this.maxPending = b.maxPending;
        this.whenFull = b.whenFull;
        this.blockTimeoutNanos = saturatedNanos(b.blockTimeout);
        this.replaceDeadLoops = b.replaceDeadLoops;
        this.closeGrace = b.closeGrace;
        this.cancellationTimeoutNanos = saturatedNanos(b.cancellationTimeout);
        this.watchdog = b.blockedThreshold.isZero() ? null
                : new BlockedLoopChecker(name + "-watchdog", b.blockedThreshold);
        PooledLoop[] ms = new PooledLoop[b.loops];
        synchronized (this) {
            for (int i = 0; i < ms.length; i++) {
                ms[i] = newMember(i);
            }
            members = ms;
            for (PooledLoop m : ms) {
                m.thread.start();
            }
        }
        if (b.shutdownHook) {
            shutdownHook = new Thread(this::close, name + "-shutdown-hook");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } else {
            shutdownHook = null;
        }
    }

    /** A pool of {@code loops} loops with default settings. */
    public static LoopPool create(int loops) {
        return builder().loops(loops).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- picking a loop ---------------------------------------------------------------------------

    /** The pool's name, used in thread names, rejections and metrics. */
    public String name() {
        return name;
    }

    /** The loops now serving (a dead loop not replaced is left out), in slot order. */
    public List<EventLoop> loops() {
        List<EventLoop> loops = new ArrayList<>();
        for (PooledLoop m : members) {
            if (!m.dead) {
                loops.add(m.loop);
            }
        }
        return List.copyOf(loops);
    }

    /**
     * The loop for the next piece of work, by the pool's {@link Selection}. Skips dead loops.
     *
     * @throws RejectedExecutionException if the pool is shut down or has no live loop
     */
    public EventLoop next() {
        return nextMember().loop;
    }

    private PooledLoop nextMember() {
        checkAccepting();
        PooledLoop[] ms = members;
        int n = ms.length;
        int start = Math.floorMod(nextIndex.getAndIncrement(), n);
        PooledLoop best = null;
        long bestLoad = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            PooledLoop m = ms[(start + i) % n];
            if (m.dead) {
                continue;
            }
            if (selection == Selection.ROUND_ROBIN) {
                return m;
            }
            long load = m.loop.stats().inboxCount() + m.loop.stats().readyCount();
            if (load < bestLoad) {
                best = m;
                bestLoad = load;
            }
        }
        if (best == null) {
            throw rejection("none of its event loops is alive");
        }
        return best;
    }

    /**
     * The loop for {@code key}: the same key always reaches the same loop while the pool lives (a dead loop's
     * keys move to the next live slot, or stay with its replacement). For per-key ordering and state.
     */
    public EventLoop loopFor(Object key) {
        Objects.requireNonNull(key, "key");
        PooledLoop[] ms = members;
        int h = key.hashCode();
        int slot = Math.floorMod(h ^ (h >>> 16), ms.length);
        for (int i = 0; i < ms.length; i++) {
            PooledLoop m = ms[(slot + i) % ms.length];
            if (!m.dead) {
                return m.loop;
            }
        }
        throw rejection("none of its event loops is alive");
    }

    // ---- submitting -------------------------------------------------------------------------------

    /**
     * Runs {@code coroutine} as a task on {@link #next()}:
     * {@code Bridge.runCoroutineThreadsafe(coroutine, pool.next())}, with all its guarantees.
     *
     * @throws RejectedExecutionException if the pool is shut down, or the loop's bound is reached
     */
    public <T> CompletableFuture<T> submit(Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine");
        PooledLoop m = nextMember();
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
        PooledLoop m = nextMember();
        m.admit();
        try {
            if (maxPending > 0) {
                m.loop.callSoonThreadsafe(() -> {
                    m.taken();
                    command.run();
                }, m::taken);
            } else {
                m.loop.callSoonThreadsafe(command);
            }
        } catch (RejectedExecutionException closed) {
            throw m.refused();
        }
        m.accepted();
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
        ExecutorService view = executorView;
        if (view == null) {
            synchronized (this) {
                view = executorView;
                if (view == null) {
                    executorView = view = new PoolExecutorService(this);
                }
            }
        }
        return view;
    }

    // ---- metrics ----------------------------------------------------------------------------------

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

    /** For a new submission: its {@link System#nanoTime()} if it is to be timed, else 0. Any thread. */
    long roundTripStamp() {
        return roundTripRecorder != null && ThreadLocalRandom.current().nextInt(ROUND_TRIP_SAMPLE) == 0
                ? System.nanoTime() : 0;
    }

    void recordRoundTrip(long nanos) {
        LongConsumer r = roundTripRecorder;
        if (r != null) {
            r.accept(nanos);
        }
    }

    // ---- shutdown ---------------------------------------------------------------------------------

    /**
     * Starts a graceful shutdown (see the class comment) and returns a future completed when every loop is
     * closed and every loop thread has ended (a copy: completing it does not terminate anything). Calling
     * it again with a shorter grace shortens the shutdown under way. Any thread, including a loop thread of
     * this pool.
     */
    public CompletableFuture<Void> shutdownGracefully(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        long deadline = saturatedDeadline(grace);
        synchronized (this) {
            if (state == RUNNING) {
                state = SHUTTING_DOWN;
                shutdownDeadline = deadline;
                for (PooledLoop m : members) {
                    startDrain(m);
                }
                List<PooledLoop> all = List.copyOf(started);
                Thread.ofPlatform().daemon().name(name + "-terminator").start(() -> awaitTermination(all));
            } else if (deadline - shutdownDeadline < 0) {
                shutdownDeadline = deadline;
                for (PooledLoop m : members) {
                    tryOnLoop(m, () -> wake(m));
                }
            }
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException jvmShuttingDown) {
                // the hook runs or will run: nothing to undo
            }
        }
        return termination.copy();
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
        for (PooledLoop m : members) {
            if (m.thread == Thread.currentThread() || PooledLoop.isOn(m.loop)) {
                throw new IllegalStateException("LoopPool '" + name + "' cannot be closed from its own loop thread or"
                        + " one of its coroutines ('" + callerName() + "'): it would wait for"
                        + " itself; use shutdownGracefully(...) and do not wait");
            }
        }
        shutdownGracefully(closeGrace);
        boolean interrupted = false;
        while (true) {
            try {
                termination.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a shutdown has started. */
    public boolean isShutdown() {
        return state != RUNNING;
    }

    /** Whether every loop is closed and every loop thread has ended. */
    public boolean isTerminated() {
        return state == TERMINATED;
    }

    /** Completed when the pool has terminated (see {@link #shutdownGracefully}). */
    public CompletableFuture<Void> terminationFuture() {
        return termination.copy();
    }

    /**
     * Runs {@code hook} once the pool has terminated, before any {@link #terminationFuture()} or
     * {@link #shutdownGracefully} future completes (at once, here, if it already has). For resources tied to the
     * pool's life, such as its meters. A hook that throws is logged and the others still run. Any thread.
     */
    public void onTermination(Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        synchronized (terminationHooks) {
            if (!termination.isDone()) {
                terminationHooks.add(hook);
                return;
            }
        }
        hook.run();
    }

    void checkAccepting() {
        if (state != RUNNING) {
            throw rejection("it is shut down");
        }
    }

    /** A rejection naming this pool, counted. */
    RejectedExecutionException rejection(String why) {
        rejected.increment();
        return new RejectedExecutionException("LoopPool '" + name + "' rejected the work: " + why);
    }

    private static long saturatedDeadline(Duration grace) {
        return System.nanoTime() + Math.max(0, saturatedNanos(grace));
    }

    /**
     * {@link Duration#toNanos()} of a non-negative duration, at most a quarter of the long range (~73 years):
     * a huge duration is "for ever" without its ArithmeticException, and now + it cannot overflow.
     */
    private static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 4;
        }
    }

    private void startDrain(PooledLoop m) {
        tryOnLoop(m, () -> m.loop.createTask(name + "-shutdown", () -> drain(m)));
    }

    private static void tryOnLoop(PooledLoop m, Runnable r) {
        try {
            m.loop.callSoonThreadsafe(r);
        } catch (RejectedExecutionException closed) {
            // the loop's thread has ended (it died): nothing to drain
        }
    }

    /** The shutdown of one loop, as a task on it: wait, cancel, wait, stop. */
    private Void drain(PooledLoop m) throws Exception {
        EventLoop loop = m.loop;
        Task<?> self = Aio.currentTask();
        while (!awaitIdle(m, self, () -> shutdownDeadline)) {
            if (loop.time() - shutdownDeadline >= 0) {
                break; // else woken by a shorter deadline: wait again
            }
        }
        m.refusesNewWork = true;
        for (Task<?> t : loop.allTasks()) {
            if (t != self) {
                t.cancel("LoopPool '" + name + "' is shutting down");
            }
        }
        long cancelDeadline = loop.time() + cancellationTimeoutNanos;
        awaitIdle(m, self, () -> cancelDeadline);
        m.stopRequested = true;
        loop.stop();
        return null;
    }

    /**
     * Waits until the loop has no task but {@code self} and nothing in its inbox (true), or until the
     * deadline (read afresh each round: a second shutdown may bring it closer) or {@link #wake} (false).
     * Tasks created meanwhile are waited for too.
     */
    private static boolean awaitIdle(PooledLoop m, Task<?> self, LongSupplier deadlines) throws Exception {
        EventLoop loop = m.loop;
        while (true) {
            long deadline = deadlines.getAsLong();
            List<Task<?>> pending = loop.allTasks();
            pending.remove(self);
            if (pending.isEmpty() && loop.stats().inboxCount() == 0) {
                return true;
            }
            if (loop.time() - deadline >= 0) {
                return false;
            }
            if (pending.isEmpty()) {
                Aio.sleep(Duration.ZERO); // let the inbox be taken
                continue;
            }
            LoopFuture<Void> round = loop.createFuture();
            int[] left = {pending.size()};
            Consumer<Object> countDown = f -> {
                if (--left[0] == 0 && !round.isDone()) {
                    round.setResult(null);
                }
            };
            for (Task<?> t : pending) {
                t.addDoneCallback(countDown);
            }
            TimerHandle timer = loop.callAt(deadline, () -> {
                if (!round.isDone()) {
                    round.setResult(null);
                }
            });
            m.round = round;
            try {
                round.await();
            } finally {
                m.round = null;
                timer.cancel();
            }
            if (left[0] > 0) {
                return false; // the deadline came, or moved
            }
        }
    }

    /** On the loop: the deadline moved closer, the drainer re-reads it. */
    private static void wake(PooledLoop m) {
        LoopFuture<Void> r = m.round;
        if (r != null && !r.isDone()) {
            r.setResult(null);
        }
    }

    private void awaitTermination(List<PooledLoop> all) {
        for (PooledLoop m : all) {
            m.terminated.join();
            boolean done = false;
            while (!done) {
                try {
                    m.thread.join();
                    done = true;
                } catch (InterruptedException ignored) {
                    // a daemon nobody interrupts; keep waiting
                }
            }
        }
        state = TERMINATED;
        if (watchdog != null) {
            watchdog.close();
        }
        synchronized (terminationHooks) {
            for (Runnable hook : terminationHooks) {
                try {
                    hook.run();
                } catch (RuntimeException e) {
                    log.warn("termination hook of pool {} failed", name, e);
                }
            }
            terminationHooks.clear();
            termination.complete(null);
        }
    }

    /** On a loop thread: the running task's name (its virtual thread may have none), else the thread's. */
    private static String callerName() {
        Task<?> task = Aio.currentTask();
        return task != null ? task.getName() : Thread.currentThread().getName();
    }

    // ---- the loop threads -------------------------------------------------------------------------

    private PooledLoop newMember(int index) {
        EventLoop.Builder builder = EventLoop.builder()
                .name(threadPrefix + loopCounter.getAndIncrement())
                .debug(debug)
                .slowCallbackDuration(slowCallbackDuration)
                .exceptionHandler(exceptionHandler);
        if (idleSpin != null) {
            builder.idleSpin(idleSpin);
        }
        EventLoop loop = builder.build();
        PooledLoop m = new PooledLoop(this, index, loop, maxPending);
        m.register();
        if (watchdog != null) {
            watchdog.watch(loop);
        }
        started.add(m);
        return m;
    }

    Thread threadFactory(PooledLoop m) {
        return Thread.ofPlatform().name(m.loop.name()).daemon(daemon).unstarted(() -> runLoop(m));
    }

    private void runLoop(PooledLoop m) {
        Throwable death = null;
        try {
            do {
                m.loop.runForever();
            } while (!m.stopRequested); // someone else's loop.stop(): a pooled loop serves until shutdown
        } catch (Throwable e) {
            death = e;
        }
        try {
            if (death == null) {
                m.loop.close();
            } else {
                retireDead(m, death);
            }
        } finally {
            m.unregister();
            Bridge.shutdownDefaultExecutor(m.loop);
            m.terminated.complete(null);
        }
    }

    private void retireDead(PooledLoop m, Throwable death) {
        m.dead = true;
        deadLoops.increment();
        try {
            m.loop.callExceptionHandler(new ErrorContext("The thread of event loop '" + m.loop.name()
                    + "' of LoopPool '" + name + "' died; its pending work is failed", death, null, null));
        } finally {
            ScopedValue.where(PooledLoop.DYING, death).run(m.loop::close);
        }
        synchronized (this) {
            if (replaceDeadLoops && state == RUNNING) {
                PooledLoop[] ms = members.clone();
                PooledLoop replacement = newMember(m.index);
                ms[m.index] = replacement;
                members = ms;
                replacement.thread.start();
            }
        }
    }

    @Override
    public String toString() {
        return "LoopPool[" + name + ", " + members.length + " loops"
                + (state == RUNNING ? "" : state == SHUTTING_DOWN ? ", shutting down" : ", terminated") + "]";
    }

    /** Builds a {@link LoopPool}. Not thread-safe. */
    public static final class Builder {
        private int loops = Runtime.getRuntime().availableProcessors();
        private String name;
        private String threadPrefix;
        private boolean daemon;
        private Selection selection = Selection.ROUND_ROBIN;
        private boolean debug = Boolean.getBoolean("loopbridge.debug");
        private Duration slowCallbackDuration = Duration.ofMillis(100);
        private Duration idleSpin;
        private ExceptionHandler exceptionHandler;
        private int maxPending;
        private WhenFull whenFull = WhenFull.REJECT;
        private Duration blockTimeout = Duration.ZERO;
        private boolean shutdownHook;
        private boolean replaceDeadLoops;
        private Duration closeGrace = Duration.ofSeconds(10);
        private Duration cancellationTimeout = Duration.ofSeconds(5);
        private Duration blockedThreshold = Duration.ofSeconds(2);

        private Builder() {
        }

        /**
         * How long one callback or coroutine step may run before the watchdog reports its loop as blocked
         * (default 2 s, as Vert.x); {@link Duration#ZERO} switches the watchdog off (no thread).
         */
        public Builder blockedThreshold(Duration threshold) {
            this.blockedThreshold = requireNotNegative(threshold, "threshold");
            return this;
        }

        /** How many loops (and threads). Default: available processors. */
        public Builder loops(int loops) {
            if (loops < 1) {
                throw new IllegalArgumentException("a pool needs at least one loop: " + loops);
            }
            this.loops = loops;
            return this;
        }

        /** The pool's name (rejections, metrics tag {@code pool}). Default {@code loop-pool-N}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Prefix of the loops' (and their threads') names, followed by a number. Default {@code <name>-loop-}. */
        public Builder threadNamePrefix(String prefix) {
            this.threadPrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /** Whether the loop threads are daemon threads (default false: an open pool keeps the JVM alive). */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        public Builder selection(Selection selection) {
            this.selection = Objects.requireNonNull(selection, "selection");
            return this;
        }

        /** Debug mode of every loop ({@link EventLoop#setDebug}). */
        public Builder debug(boolean debug) {
            this.debug = debug;
            return this;
        }

        public Builder slowCallbackDuration(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("slow callback duration must not be negative: " + threshold);
            }
            this.slowCallbackDuration = threshold;
            return this;
        }

        /**
         * How long an idle loop polls for work before parking its thread ({@link EventLoop.Builder#idleSpin});
         * default 50 µs. {@link Duration#ZERO} for pools that must not burn CPU while idle.
         */
        public Builder idleSpin(Duration spin) {
            Objects.requireNonNull(spin, "spin");
            if (spin.isNegative()) {
                throw new IllegalArgumentException("idle spin must not be negative: " + spin);
            }
            this.idleSpin = spin;
            return this;
        }

        /** The exception handler of every loop; also told when a loop thread dies. */
        public Builder exceptionHandler(ExceptionHandler handler) {
            this.exceptionHandler = handler;
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
            if (maxPending < 1) {
                throw new IllegalArgumentException("maxPending must be positive: " + maxPending);
            }
            Objects.requireNonNull(blockTimeout, "blockTimeout");
            if (blockTimeout.isNegative()) {
                throw new IllegalArgumentException("blockTimeout must not be negative: " + blockTimeout);
            }
            this.maxPending = maxPending;
            this.whenFull = Objects.requireNonNull(whenFull, "whenFull");
            this.blockTimeout = blockTimeout;
            return this;
        }

        /** Registers a JVM shutdown hook that {@link #close()}s the pool (removed when it shuts down). */
        public Builder shutdownHook(boolean enabled) {
            this.shutdownHook = enabled;
            return this;
        }

        /** Replace a loop whose thread died with a new loop in the same slot (default false). */
        public Builder replaceDeadLoops(boolean replace) {
            this.replaceDeadLoops = replace;
            return this;
        }

        /** The grace period of {@link #close()} (default 10 s). */
        public Builder closeGrace(Duration grace) {
            this.closeGrace = requireNotNegative(grace, "grace");
            return this;
        }

        /**
         * How long, after the grace period, cancelled tasks may take to finish before their loop is closed
         * under them (default 5 s).
         */
        public Builder cancellationTimeout(Duration timeout) {
            this.cancellationTimeout = requireNotNegative(timeout, "timeout");
            return this;
        }

        private static Duration requireNotNegative(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + " must not be negative: " + d);
            }
            return d;
        }

        public LoopPool build() {
            return new LoopPool(this);
        }
    }
}
