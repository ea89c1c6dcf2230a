package io.loopbridge.core;

import io.loopbridge.core.spi.Checks;
import io.loopbridge.core.spi.IdleStrategy;
import io.loopbridge.core.spi.LoopSpi;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-threaded event loop: asyncio's {@code BaseEventLoop}.
 *
 * <p>A FIFO ready queue, a timer heap (deadline, then scheduling order) and a thread-safe inbox. The loop
 * runs on whichever platform thread calls {@link #runForever()} or {@link #runUntilComplete}; while it runs,
 * its scheduling methods and every future and task of it belong to that thread and fail fast with an
 * {@link IllegalStateException} elsewhere (asyncio only checks in debug mode). Tasks' coroutine steps
 * count as the loop's thread. From any other thread use {@link #callSoonThreadsafe} or {@link #execute},
 * or the bridge module.
 *
 * <p>Ordering is stricter than CPython's where CPython leaves it open: callbacks run in the order scheduled;
 * timers with equal deadlines run in scheduling order; a timer that fell due runs after the callbacks that
 * were already ready; thread-safe submissions from one thread run in submission order.
 */
public final class EventLoop implements Executor {
    static final Logger log = LoggerFactory.getLogger(EventLoop.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    static {
        LoopSpi.install(new SpiAccess());
    }

    private final String name;
    // The loop's state: what is ready, the timers, the thread-safe inbox (submissions, idle wait, wake-up),
    // the pending tasks, the counters. Each job on it is a class of its own, below.
    /** Handles, and the bare Runnables of what returns no handle ({@link #execute}). */
    final ArrayDeque<Object> ready = new ArrayDeque<>(256);
    final TimerQueue timers = new TimerQueue();
    final Inbox inbox;
    final TaskRegistry tasks = new TaskRegistry();
    private final LoopStats stats = new LoopStats(this);
    private long taskCounter;
    /** The running thread, the running step, open or closed, and the checks of loop-thread-only methods. */
    final Confinement confinement = new Confinement(this);
    /** The iterations ({@code _run_once}): the only place callbacks are called. */
    private final Iteration iteration;
    /** The close sequence, and what runs on a closed loop. */
    final LoopClosing closing = new LoopClosing(this);
    /** Attachments, close hooks, close cause. */
    final LoopResources resources = new LoopResources(this);
    /** Where a handle goes: ready queue, inbox or timer heap. Holds the debug flag. */
    final Scheduling scheduling;
    /** Debug mode's origins and slow-callback timing. */
    final DebugMode debugMode;
    final LoopErrors errors;
    /** How the fallback engine's handoff spins before it parks (the inbox's wait has its own). */
    final IdleStrategy idle;
    /** The loop's I/O, or null: then it parks when idle. */
    final LoopIo.Driver io;

    private EventLoop(Builder b) {
        this.name = b.name != null ? b.name : "loop-" + COUNTER.incrementAndGet();
        this.debugMode = new DebugMode(b.slowCallbackDuration);
        this.errors = new LoopErrors(this, b.exceptionHandler);
        this.idle = b.idle.fresh(); // the fallback engine's handoff; the inbox's wait learns on its own
        this.io = b.io == null ? null : Objects.requireNonNull(b.io.open(this), "LoopIo.open returned null");
        // An I/O loop waits in its selector at once: a spin would watch the inbox only, blind to sockets.
        this.inbox = io == null
                ? new Inbox(this, b.waiter, b.idle.fresh(), closing::drop)
                : new Inbox(this, IdleWaiter.polling(io), IdleStrategy.NO_SPIN, closing::drop);
        this.scheduling = new Scheduling(this, inbox, debugMode, b.debug);
        this.iteration = new Iteration(this, ready, inbox, io, debugMode);
    }

    /**
     * The coroutine engine this JVM runs tasks with: {@code "fast"} (virtual threads scheduled by their loop;
     * needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}) or {@code "fallback"}. Chosen, and logged at
     * INFO, once per JVM. Any thread.
     */
    public static String coroutineEngine() {
        return Engine.INSTANCE.name();
    }

    /** A new loop with default settings: {@code asyncio.new_event_loop()}. */
    public static EventLoop create() {
        return builder().build();
    }

    /** A builder for a loop with a name, debug mode, slow-callback threshold or exception handler. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Schedules {@code callback} to run on the next iteration, after the callbacks already scheduled:
     * {@code loop.call_soon}. Loop thread only.
     */
    public Handle callSoon(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        return scheduling.addReady(new Handle(this, callback));
    }

    /** Runs {@code callback} after {@code delay}: {@code loop.call_later}. Zero or negative: next iteration. */
    public TimerHandle callLater(Duration delay, Runnable callback) {
        Objects.requireNonNull(delay, "delay");
        return callAt(deadline(delay), callback);
    }

    /** Runs {@code callback} at loop time {@code whenNanos} (see {@link #time()}): {@code loop.call_at}. */
    public TimerHandle callAt(long whenNanos, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        return scheduling.addTimer(whenNanos, callback);
    }

    /** The loop's clock, monotonic nanoseconds: {@code loop.time()}. Any thread. */
    public long time() {
        return System.nanoTime();
    }

    /**
     * Schedules {@code callback} from any thread: {@code loop.call_soon_threadsafe}. Submissions from one
     * thread run in order. A parked loop is woken at once; a busy one is not disturbed (no system call).
     * Called on the loop itself it is {@link #callSoon}, so it keeps its place among callSoon's callbacks
     * as in asyncio.
     *
     * @throws RejectedExecutionException if the loop is closed
     */
    public Handle callSoonThreadsafe(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        return scheduling.addThreadsafe(new Handle(this, callback));
    }

    /**
     * As {@link #callSoonThreadsafe(Runnable)}, for a caller that owes someone an answer: if the loop is
     * closed after accepting {@code callback} and before running it, {@code onDropped} runs instead, on the
     * thread that closes the loop (or that finds it closed). Exactly one of the two runs. Any thread.
     *
     * @throws RejectedExecutionException if the loop is already closed (then neither runs)
     */
    public Handle callSoonThreadsafe(Runnable callback, Runnable onDropped) {
        Objects.requireNonNull(callback, "callback");
        Objects.requireNonNull(onDropped, "onDropped");
        Handle h = new Handle.Owed(this, callback, onDropped);
        inbox.offer(h);
        return h;
    }

    /**
     * {@link Executor} view of {@link #callSoonThreadsafe}, for a caller that wants no {@link Handle}: the
     * same order, wake-up and error handling (a {@code command} that throws goes to the exception handler,
     * with no {@code handle} in the context, and the loop goes on), but nothing is allocated besides the
     * queue's slot. A command dropped because the loop closed before running it is not told. Any thread.
     *
     * @throws RejectedExecutionException if the loop is closed
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        scheduling.execute(command);
    }

    /**
     * Runs the loop until {@link #stop()}: {@code loop.run_forever}. Calling {@code stop()} first makes it
     * run one iteration. The loop may be run again after it stopped.
     *
     * @throws IllegalStateException if this or another loop is already running on this thread, the loop does
     *                               I/O and belongs to another thread ({@link Builder#io}), or the
     *                               caller is a virtual thread (a loop needs a platform thread)
     * @throws RejectedExecutionException if the loop is closed
     */
    public void runForever() {
        confinement.checkCanRun();
        Thread current = confinement.platformThread();
        if (io != null) {
            io.bind(current);
        }
        confinement.enter(current);
        try {
            iteration.runUntilStopped();
        } finally {
            confinement.exit();
        }
    }

    /**
     * Runs the loop until {@code future} is done and returns its result or throws its exception (the same
     * object): {@code loop.run_until_complete}.
     *
     * @throws IllegalStateException if the loop stopped before the future was done, or a loop is running
     */
    public <T> T runUntilComplete(LoopFuture<T> future) throws Exception {
        Objects.requireNonNull(future, "future");
        confinement.checkCanRun();
        if (future.loop != this) {
            throw new IllegalArgumentException("The future belongs to loop '" + future.loop.name
                    + "', not '" + name + "'");
        }
        Consumer<LoopFuture<T>> stopper = f -> stop();
        future.addDoneCallback(stopper);
        try {
            runForever();
        } finally {
            future.removeDoneCallback(stopper);
        }
        if (!future.isDone()) {
            throw new IllegalStateException("Event loop stopped before Future completed.");
        }
        return future.result();
    }

    /**
     * Wraps {@code coroutine} in a task and runs the loop until it is done. Checked before the task is
     * made, as asyncio does, so a refused call leaves no orphan task behind.
     */
    public <T> T runUntilComplete(Coroutine<T> coroutine) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine");
        confinement.checkCanRun();
        return runUntilComplete(createTask(coroutine));
    }

    /**
     * Stops the loop after the current iteration: callbacks already ready run, the ones they schedule
     * do not: {@code loop.stop}. Loop thread only (from elsewhere: {@code callSoonThreadsafe(loop::stop)}).
     */
    public void stop() {
        confinement.checkThread("stop", "callSoonThreadsafe(loop::stop)");
        iteration.stopping = true;
    }

    /** Whether a thread is running the loop now. Any thread. */
    public boolean isRunning() {
        return confinement.thread != null;
    }

    /** Any thread. */
    public boolean isClosed() {
        return confinement.closed;
    }

    /**
     * Closes the loop: pending callbacks and timers are dropped, pending tasks are reported ("Task was
     * destroyed but it is pending") and their coroutines unwound, and every later scheduling call is
     * rejected. Idempotent: {@code loop.close}.
     *
     * @throws IllegalStateException if the loop is running
     */
    public void close() {
        closing.close();
    }

    /**
     * Runs {@code hook} when the loop closes, on the closing thread, after everything pending was dropped
     * (at once, here, if it is already closed). For resources tied to the loop's life, such as its meters.
     * A hook that throws goes to the exception handler. Any thread.
     */
    public void onClose(Runnable hook) {
        resources.onClose(hook);
    }

    /**
     * A new pending future on this loop: {@code loop.create_future()}. A closed loop makes one too, as in
     * CPython (creating a future schedules nothing); its done-callbacks then run on the thread that completes
     * it. Any thread.
     */
    public <T> LoopFuture<T> createFuture() {
        return new LoopFuture<>(this);
    }

    /**
     * Wraps {@code coroutine} in a task named {@code Task-N} and schedules its first step:
     * {@code loop.create_task}. The coroutine does not start before the caller yields to the loop.
     * Loop thread only.
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(null, coroutine);
    }

    /** As {@link #createTask(Coroutine)}, with a name ({@code create_task(coro, name=)}). */
    public <T> Task<T> createTask(String name, Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine");
        confinement.checkOpen();
        confinement.checkThread("createTask", "Bridge.runCoroutineThreadsafe(coroutine, loop)");
        // Only the number is taken here: the task builds its "Task-N" when first asked (most never are).
        Task<T> task = new Task<>(this, name, name != null ? 0 : ++taskCounter, coroutine);
        tasks.add(task);
        stats.taskStarted();
        task.start();
        return task;
    }

    /** The pending tasks of this loop: {@code asyncio.all_tasks(loop)}. Loop thread only. */
    public List<Task<?>> allTasks() {
        confinement.checkThread("allTasks", "callSoonThreadsafe");
        return tasks.snapshot();
    }

    /** Replaces the exception handler (null restores the default): {@code set_exception_handler}. Any thread. */
    public void setExceptionHandler(ExceptionHandler handler) {
        errors.setHandler(handler);
    }

    /** The handler set, or null for the default: {@code get_exception_handler}. Any thread. */
    public ExceptionHandler getExceptionHandler() {
        return errors.handler();
    }

    /**
     * Hands {@code context} to the exception handler, or logs it when none is set or the handler itself
     * fails: {@code loop.call_exception_handler}. Any thread; the handler runs on the caller's thread.
     */
    public void callExceptionHandler(ErrorContext context) {
        errors.report(context);
    }

    /** The default handler, an SLF4J error log with the loop, the message, the culprit and the stack: {@code default_exception_handler}. */
    public void defaultExceptionHandler(ErrorContext context) {
        errors.log(context);
    }

    /**
     * {@code loop.set_debug}: time every callback, count and warn about slow ones, remember where handles
     * were scheduled. Any thread; takes effect from the next iteration.
     */
    public void setDebug(boolean enabled) {
        scheduling.debug = enabled;
    }

    /** {@code loop.get_debug}. Any thread. */
    public boolean isDebug() {
        return scheduling.debug;
    }

    /** {@code loop.slow_callback_duration}: the threshold for the debug-mode warning (default 100 ms). Any thread. */
    public void setSlowCallbackDuration(Duration threshold) {
        debugMode.setSlowCallbackDuration(threshold);
    }

    /** The debug-mode slow-callback threshold. Any thread. */
    public Duration getSlowCallbackDuration() {
        return debugMode.slowCallbackDuration();
    }

    /** The loop's name, as used in logs, errors and metrics. Any thread. */
    public String name() {
        return name;
    }

    /** The counters behind this loop's metrics. Any thread. */
    public LoopStats stats() {
        return stats;
    }

    /** The thread running this loop now, or null. Any thread. */
    public Thread thread() {
        return confinement.thread;
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + (isClosed() ? ", closed" : isRunning() ? ", running" : "") + "]";
    }

    /** Loop time {@code delay} from now; a huge delay saturates to "never", not an overflow into the past. */
    long deadline(Duration delay) {
        return time() + Checks.saturatedNanos(delay);
    }

    /** Builds an {@link EventLoop}. Not thread-safe. */
    public static final class Builder {
        private String name;
        private boolean debug = Boolean.getBoolean("loopbridge.debug");
        private Duration slowCallbackDuration = Duration.ofMillis(100);
        private ExceptionHandler exceptionHandler;
        private IdleWaiter waiter = IdleWaiter.PARKING;
        private IdleStrategy idle = IdleStrategy.adaptive();
        private LoopIo io;

        private Builder() {
        }

        /** The loop's name, used in logs, errors and metrics. Default {@code loop-N}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Debug mode; default from {@code -Dloopbridge.debug=true}. */
        public Builder debug(boolean debug) {
            this.debug = debug;
            return this;
        }

        /** The debug-mode slow-callback threshold; default 100 ms. */
        public Builder slowCallbackDuration(Duration threshold) {
            this.slowCallbackDuration = Checks.requireNonNegative(threshold, "threshold");
            return this;
        }

        /** The exception handler; default none (errors are logged). */
        public Builder exceptionHandler(ExceptionHandler handler) {
            this.exceptionHandler = handler;
            return this;
        }

        /**
         * How long an idle loop keeps polling for work before it parks its thread: default 50 µs, or
         * {@code -Dloopbridge.idleSpinNanos}. A loop that hears back within it (another loop's reply, a
         * caller's next request) is never parked and never needs waking, which saves both sides tens of
         * microseconds per hop on a virtual machine; the cost is up to this much CPU each time the loop
         * runs out of work. {@link Duration#ZERO} parks at once, as Netty's loops do.
         */
        public Builder idleSpin(Duration spin) {
            this.idle = IdleStrategy.spinFor(spin);
            return this;
        }

        /**
         * Gives the loop I/O, e.g. {@code io(NettyIo.nio())} from {@code io.loopbridge.netty}: Netty channels then
         * live on the loop's thread, and the idle loop waits in the selector instead of parking (it does not
         * spin: {@link #idleSpin} applies to the fallback engine's handoff only). Such a loop stays on the
         * thread that first runs it, and is closed there. Default: no I/O.
         */
        public Builder io(LoopIo io) {
            this.io = Objects.requireNonNull(io, "io");
            return this;
        }

        /** How the loop waits for work (package-private: the seam for a Netty I/O driver, and for tests). */
        Builder idleWaiter(IdleWaiter waiter) {
            this.waiter = Objects.requireNonNull(waiter, "waiter");
            return this;
        }

        /** A new, not yet running loop. */
        public EventLoop build() {
            return new EventLoop(this);
        }
    }
}
