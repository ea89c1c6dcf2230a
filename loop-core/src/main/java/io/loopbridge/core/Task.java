package io.loopbridge.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;

/**
 * A coroutine running on a loop: {@code asyncio.Task}.
 *
 * <p>Each task is a virtual thread whose every step runs on its loop's thread, one step at a time; a
 * {@link LoopFuture#await()} parks it and hands the loop thread back. This is asyncio's {@code Task.__step}:
 * a step is a ready-queue entry like any {@code callSoon} callback, and a done future wakes its awaiting task
 * by queueing the task's next step where asyncio would queue {@code __wakeup}.
 *
 * <p>Cancellation is asyncio's: {@link #cancel(String)} only requests it; the coroutine sees one
 * {@link CancellationException} at its current or next await, may catch it and go on (the task is then not
 * cancelled). {@link #cancelling()} and {@link #uncancel()} count requests as in CPython 3.13.
 *
 * <p>Thread-safety: as {@link LoopFuture}. {@link #getName()} and {@link #getStack()} may be called anywhere.
 *
 * <h2>States</h2>
 * <pre>
 *   createTask --> SCHEDULED --(the loop runs its step)--> RUNNING --(returns or throws)--> DONE
 *                     ^                                       |         finished | failed | cancelled
 *                     |  the future is done (wakeUp),         |  awaits a pending future or sleeps
 *                     |  or at once for sleep(0)              |  (fast engine: or a JDK blocking call)
 *                     |                                       v
 *                     +---------------------------------- SUSPENDED
 *
 *   not DONE --(the loop closes)--> destroyed: cancelled, and the coroutine unwinds off the loop through
 *                                   CoroutineExit, an Error, which catch (Exception e) does not stop
 * </pre>
 * A {@link CancellationException} out of the coroutine ends it cancelled, any other throwable failed.
 * {@code started}, {@code suspended}, {@code waitingOn}, {@code mustCancel} and {@code destroyed} below hold it;
 * a cancel request sets {@code mustCancel} (delivered at the next resumption) or cancels {@code waitingOn}.
 *
 * @param <T> the result type
 */
public final class Task<T> extends LoopFuture<T> {
    /**
     * The handoff engine's task on the current (virtual) thread, bound around its body (the fast engine finds
     * it through the thread's scheduler instead; see {@link #currentOrNull()}). Typed Object so that a lookup
     * can be one {@code orElse(NO_TASK)}: orElse refuses null.
     */
    private static final ScopedValue<Object> CURRENT = ScopedValue.newInstance();
    private static final Object NO_TASK = new Object();
    private static final VarHandle NAME;

    static {
        try {
            NAME = MethodHandles.lookup().findVarHandle(Task.class, "name", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The given name, or null until a default-named task's {@code Task-N} is first asked for. */
    private volatile String name;
    /** N of the default name {@code Task-N}; the string is built on demand: most tasks are never asked. */
    private final long number;
    private final Coroutine<T> coroutine;
    final long createdAt;
    /** The virtual thread that runs the coroutine. */
    final Thread thread;
    /** The ready-queue entry that runs this task's next step; one is ever queued at a time, so it is reused. */
    final Step step;

    /**
     * asyncio's {@code _fut_waiter}: the future this task is suspended on, or the {@link Alarm} of its sleep
     * (until the alarm rings).
     */
    private Object waitingOn;
    /** asyncio's {@code _must_cancel}: deliver a cancellation at the next resumption. */
    private boolean mustCancel;
    private int cancelRequests;
    /** Parked in await or sleep (not in a JDK blocking call): resumption is the loop's to give. */
    boolean suspended;
    private boolean interruptedToCancel;
    private boolean started;
    /** The loop was closed with this task pending: the coroutine is unwound. */
    volatile boolean destroyed;

    // Intrusive links of the loop's TaskRegistry.
    Task<?> prev, next;

    /**
     * @param name   the task's name, or null for the default {@code Task-number}
     * @param number the loop's count of default-named tasks, for {@code Task-N}; unused with a name
     */
    Task(EventLoop loop, String name, long number, Coroutine<T> coroutine) {
        super(loop);
        if (name != null) {
            this.name = name; // a volatile store, with its fence: not made for default-named tasks
        }
        this.number = number;
        this.coroutine = coroutine;
        this.createdAt = loop.time();
        this.step = new Step(this);
        // A default-named task's thread stays unnamed (naming it would make the string for every task);
        // setName names both.
        this.thread = Engine.INSTANCE.newThread(this, name != null ? name : "");
    }

    /**
     * The task's step handle, and in the fast engine also its virtual thread's scheduler: the JDK hands
     * {@link #execute} the thread's continuation whenever the thread becomes runnable, and it queues this
     * handle. One small object per task where a Handle, its callback and a scheduler lambda were three.
     */
    static final class Step extends Handle implements Executor {
        final Task<?> task;
        // The engine's state (see Engine), here rather than in the Task, where it would take a larger object:
        // the fast engine's continuation and wake-up, the handoff engine's turn (true: the task's).
        volatile Runnable continuation;
        volatile boolean resumed;
        volatile boolean taskTurn;

        Step(Task<?> task) {
            super(task.loop, null); // run() is overridden: no callback object needed
            this.task = task;
        }

        @Override
        void run() {
            task.runStep();
        }

        @Override
        public void execute(Runnable continuation) {
            Engine.Fast.dispatch(task, continuation);
        }

        @Override
        void dropped() {
            Engine.INSTANCE.dropped(task);
        }

        @Override
        public String toString() {
            return "step of " + task;
        }
    }

    /** Schedules the first step; called by the loop on its thread (or by its owner before it runs). */
    void start() {
        Engine.INSTANCE.start(this);
    }

    private void runStep() {
        loop.confinement.currentTask = this;
        try {
            Engine.INSTANCE.runStep(this);
        } finally {
            loop.confinement.currentTask = null;
        }
    }

    /**
     * The task whose coroutine runs on the calling thread (its own virtual thread), or null. In the fast
     * engine the thread's scheduler tells, allocating nothing; in the handoff engine it is one ScopedValue
     * lookup (its first hit on a thread fills that thread's 144-byte ScopedValue cache, as get() would).
     */
    static Task<?> currentOrNull() {
        if (Engine.INSTANCE instanceof Engine.Fast) {
            return Engine.Fast.currentTask();
        }
        Object task = CURRENT.orElse(NO_TASK);
        return task != NO_TASK ? (Task<?>) task : null;
    }

    /** The handoff engine's thread body: {@link #body()} with {@link #CURRENT} bound to this task. */
    void runBound() {
        ScopedValue.where(CURRENT, this).run(this::body);
    }

    /** The virtual thread's body: the whole coroutine, its steps separated by suspensions. */
    void body() {
        if (destroyed) {
            return;
        }
        started = true;
        T value = null;
        Throwable failure = null;
        if (mustCancel) {
            // Cancelled before its first step: the body never runs.
            mustCancel = false;
            failure = new CancellationException(cancelMessage);
        } else {
            try {
                value = coroutine.call();
            } catch (Throwable e) {
                failure = e;
            }
        }
        if (!destroyed) {
            finish(value, failure);
        }
        Engine.INSTANCE.finished(this);
    }

    private void finish(T value, Throwable failure) {
        if (interruptedToCancel) {
            Thread.interrupted(); // our own interrupt must not outlive the task on a reused thread
        }
        if (failure instanceof CancellationException ce) {
            cancelWith(ce);
        } else if (mustCancel && (failure == null || failure instanceof InterruptedException)) {
            // Cancel requested during the last step (or it interrupted a blocking call): asyncio cancels.
            mustCancel = false;
            cancelNow(cancelMessage);
        } else {
            complete(value, failure);
        }
        loop.tasks.remove(this);
        loop.stats().taskDone(isCancelled(), failed());
    }

    // ---- suspension (runs on the task's own thread) ----------------------------------------------

    /** The check behind {@link LoopFuture#await()}, then the suspension if the future is pending. */
    static void awaitOn(LoopFuture<?> future) {
        Task<?> task = current(future.loop, "await()");
        if (future == task) {
            throw new IllegalStateException("Task cannot await on itself: " + task);
        }
        if (!future.isDone()) {
            task.suspendOn(future);
        }
    }

    /** The running task of {@code loop} on this thread, or a clear error saying what to do instead. */
    static Task<?> current(EventLoop loop, String what) {
        Task<?> task = loop.confinement.currentTask;
        if (task != null && task.thread == Thread.currentThread()) {
            return task;
        }
        Task<?> mine = currentOrNull();
        if (mine != null && mine.loop != loop) {
            throw new IllegalStateException("Task " + mine.getName() + " called " + what + " on a future of"
                    + " another loop ('" + loop.name() + "', this task runs on '" + mine.loop.name()
                    + "'); to await across loops use Bridge.wrapFuture(Bridge.toCompletableFuture(future))");
        }
        throw new IllegalStateException(what + " called outside a coroutine (thread '"
                + Thread.currentThread().getName() + "'): only code running in a Task can suspend. On the loop"
                + " thread use future.addDoneCallback(...); to drive a loop use loop.runUntilComplete(...);"
                + " from other threads use Bridge.toCompletableFuture(future)");
    }

    private void suspendOn(LoopFuture<?> future) {
        waitingOn = future;
        future.addWaiter(this);
        if (mustCancel && future.cancel(cancelMessage)) {
            mustCancel = false; // delivered through the future
            clearOwnInterrupt();
        }
        suspended = true;
        Engine.INSTANCE.suspend(this);
        afterResume();
    }

    /**
     * {@code await asyncio.sleep(delay)} for a positive delay, until loop time {@code when}. asyncio awaits a
     * future that a timer completes; here the timer wakes the task itself, so a sleep costs one timer and no
     * future or callback. Cancelling the task cancels the alarm, and the sleep raises the cancellation, as
     * cancelling asyncio's future does.
     */
    void sleepUntil(long when) {
        Alarm alarm = loop.scheduling.addTimer(new Alarm(this, when));
        waitingOn = alarm;
        if (mustCancel) {
            // Cancel requested during this step: asyncio cancels the future at once, and the task still gives
            // up one turn.
            mustCancel = false;
            clearOwnInterrupt();
            cancelAlarm(alarm);
        }
        suspended = true;
        Engine.INSTANCE.suspend(this);
        afterResume();
        if (alarm.isCancelled()) {
            throw new CancellationException(cancelMessage);
        }
    }

    /** Wakes the task from its sleep with the alarm cancelled (asyncio: the sleep's future cancelled). */
    private void cancelAlarm(Alarm alarm) {
        alarm.cancel();
        wakeUp();
    }

    /**
     * The timer of a sleep: when due it queues its task's next step, which runs in the next iteration, as
     * asyncio's {@code __wakeup} that the sleep's future schedules when its timer sets it.
     */
    static final class Alarm extends TimerHandle {
        private final Task<?> task;

        Alarm(Task<?> task, long when) {
            super(task.loop, null, when); // run() is overridden: no callback object needed
            this.task = task;
        }

        @Override
        void run() {
            task.waitingOn = null; // rung: a cancel() from now on is delivered at the resumption instead
            task.wakeUp();
        }

        @Override
        public String toString() {
            return "TimerHandle[" + (isCancelled() ? "cancelled" : "sleep of " + task) + "]";
        }
    }

    /** {@code await sleep(0)}: lets every callback that is ready run, then continues. */
    void yieldNow() {
        suspended = true;
        Engine.INSTANCE.yieldNow(this);
        afterResume();
    }

    private void afterResume() {
        suspended = false;
        waitingOn = null;
        if (destroyed) {
            throw new CoroutineExit();
        }
        if (mustCancel) {
            mustCancel = false;
            clearOwnInterrupt();
            throw new CancellationException(cancelMessage);
        }
    }

    /**
     * The cancellation is being delivered: an interrupt that {@link #cancel} sent to a JDK blocking call
     * which returned anyway (e.g. a queue that was signalled first) must not hit the coroutine's next one.
     */
    private void clearOwnInterrupt() {
        if (interruptedToCancel) {
            interruptedToCancel = false;
            Thread.interrupted();
        }
    }

    /** The future this task waits on is done: queue the next step (asyncio: call_soon(__wakeup)). */
    void wakeUp() {
        Engine.INSTANCE.resume(this);
    }

    /** The loop closed with this task pending: cancel it, unwind its coroutine off the loop. */
    void destroy() {
        destroyed = true;
        cancelNow("event loop '" + loop.name() + "' was closed");
        Engine.INSTANCE.unwind(this);
    }

    // ---- asyncio.Task API -------------------------------------------------------------------------

    /**
     * Requests cancellation: {@code Task.cancel(msg)}. Returns false if the task is already done. The
     * future it awaits is cancelled; otherwise the coroutine sees {@link CancellationException} at its next
     * await. In the fast engine a JDK blocking call inside the coroutine is interrupted: the coroutine sees
     * {@link InterruptedException} there, which ends the task cancelled if it escapes; if the coroutine
     * swallows it, the request is still delivered at its next await. Loop thread only.
     */
    @Override
    public boolean cancel(String message) {
        loop.confinement.checkThread("cancel", "loop.callSoonThreadsafe(task::cancel), or cancel the CompletableFuture"
                + " from Bridge.runCoroutineThreadsafe");
        markRetrieved();
        if (isDone()) {
            return false;
        }
        cancelRequests++;
        if (waitingOn instanceof Alarm alarm && !alarm.isCancelled()) {
            cancelMessage = message;
            cancelAlarm(alarm);
            return true;
        }
        if (waitingOn instanceof LoopFuture<?> future && future.cancel(message)) {
            return true;
        }
        mustCancel = true;
        cancelMessage = message;
        if (started && !suspended && loop.confinement.currentTask != this && Engine.INSTANCE.interruptsBlockingCalls()) {
            interruptedToCancel = true;
            thread.interrupt();
        }
        return true;
    }

    /** How many cancellation requests are pending: {@code Task.cancelling()}. */
    public int cancelling() {
        return cancelRequests;
    }

    /**
     * Withdraws one cancellation request and returns how many remain: {@code Task.uncancel()}. At zero a
     * cancellation not yet delivered is withdrawn too (CPython 3.13).
     */
    public int uncancel() {
        loop.confinement.checkThread("uncancel", "loop.callSoonThreadsafe");
        if (cancelRequests > 0 && --cancelRequests == 0) {
            mustCancel = false;
        }
        return cancelRequests;
    }

    /** Tasks cannot be completed from outside: their coroutine does that. */
    @Override
    public void setResult(T result) {
        throw new UnsupportedOperationException("Task does not support setResult(): its coroutine sets it");
    }

    @Override
    public void setException(Throwable exception) {
        throw new UnsupportedOperationException("Task does not support setException(): its coroutine sets it");
    }

    /** Any thread. */
    public String getName() {
        String n = name;
        if (n == null) {
            // First ask for a default name: build it and keep it. Racing getNames may each build one, but
            // only the first CAS keeps its string and the others read it back; a racing setName wins too.
            n = "Task-" + number;
            if (!NAME.compareAndSet(this, (String) null, n)) {
                n = name;
            }
        }
        return n;
    }

    /** Renames the task and its virtual thread, so thread dumps show the new name: {@code Task.set_name}. Any thread. */
    public void setName(String name) {
        this.name = Objects.requireNonNull(name, "name");
        thread.setName(name);
    }

    /**
     * Where the coroutine is now: the stack of its virtual thread, suspended or running (empty once done):
     * {@code Task.get_stack()}. Any thread.
     */
    public StackTraceElement[] getStack() {
        return isDone() ? new StackTraceElement[0] : thread.getStackTrace();
    }

    /** Loop time ({@link EventLoop#time()}) when the task was created. */
    public long createdAt() {
        return createdAt;
    }

    @Override
    String unretrievedMessage() {
        return "Task exception was never retrieved (task " + getName() + ")";
    }

    @Override
    public String toString() {
        String state = isCancelled() ? "cancelled" : isDone() ? (failed() ? "failed" : "finished")
                : waitingOn instanceof Alarm ? "pending, sleeping"
                : waitingOn != null ? "pending, awaiting " + waitingOn.getClass().getSimpleName() : "pending";
        return "Task[" + getName() + ", " + state + "]";
    }

    /** Unwinds a destroyed task's coroutine: not an Exception, so {@code catch (Exception e)} lets it pass. */
    static final class CoroutineExit extends Error {
        CoroutineExit() {
            super("coroutine closed: its event loop was closed", null, false, false);
        }
    }
}
