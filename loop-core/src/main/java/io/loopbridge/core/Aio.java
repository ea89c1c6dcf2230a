package io.loopbridge.core;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * asyncio's module-level functions: run, sleep, create_task, current_task, all_tasks, get_running_loop,
 * and (see the combinators) gather, wait, shield, timeouts and task groups.
 *
 * <p>Everything except {@link #run} is called from inside a coroutine (or, where noted, a callback) on a
 * running loop, and fails with {@link IllegalStateException} elsewhere.
 */
public final class Aio {
    private Aio() {
    }

    /**
     * Runs {@code coroutine} on a new loop on this thread, then cancels the tasks still pending, lets them
     * finish, and closes the loop: {@code asyncio.run}. Returns the result or throws the coroutine's
     * exception (the same object).
     *
     * @throws IllegalStateException if a loop is already running on this thread, or this is a virtual thread
     */
    public static <T> T run(Coroutine<T> coroutine) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine");
        if (Confinement.runningLoopOrNull() != null) {
            throw new IllegalStateException("Aio.run() cannot be called from a running event loop;"
                    + " inside a coroutine use Aio.createTask(...).await()");
        }
        if (Thread.currentThread().isVirtual()) {
            // Checked before the loop and its task exist: failing later would leave a task to destroy.
            throw new IllegalStateException("Aio.run() cannot run an event loop on a virtual thread ("
                    + Thread.currentThread() + "): a loop needs a platform thread, e.g. Thread.ofPlatform()");
        }
        EventLoop loop = EventLoop.create();
        try {
            return loop.runUntilComplete(coroutine);
        } finally {
            try {
                cancelAllTasks(loop);
            } finally {
                loop.close();
            }
        }
    }

    /** asyncio.runners._cancel_all_tasks: cancel what is left, run until it is done, report failures. */
    private static void cancelAllTasks(EventLoop loop) throws Exception {
        List<Task<?>> pending = loop.allTasks();
        if (pending.isEmpty()) {
            return;
        }
        for (Task<?> t : pending) {
            t.cancel();
        }
        LoopFuture<Void> allDone = loop.createFuture();
        int[] remaining = {pending.size()};
        for (Task<?> t : pending) {
            t.addDoneCallback(f -> {
                if (--remaining[0] == 0) {
                    allDone.setResult(null);
                }
            });
        }
        loop.runUntilComplete(allDone);
        for (Task<?> t : pending) {
            if (!t.isCancelled() && t.exception() != null) {
                loop.callExceptionHandler(new ErrorContext("unhandled exception during Aio.run() shutdown",
                        t.exception(), t, null));
            }
        }
    }

    /** The loop running on this thread or coroutine: {@code asyncio.get_running_loop()}. */
    public static EventLoop getRunningLoop() {
        EventLoop loop = Confinement.runningLoopOrNull();
        if (loop == null) {
            throw new IllegalStateException("no running event loop on thread '" + Thread.currentThread().getName()
                    + "'");
        }
        return loop;
    }

    /**
     * The task running the calling coroutine, or null when called from a plain callback on a loop thread:
     * {@code asyncio.current_task()}.
     *
     * @throws IllegalStateException when no loop runs on this thread
     */
    public static Task<?> currentTask() {
        Task<?> task = Task.currentOrNull();
        if (task != null) {
            return task;
        }
        getRunningLoop();
        return null;
    }

    /** The pending tasks of the running loop: {@code asyncio.all_tasks()}. */
    public static List<Task<?>> allTasks() {
        return getRunningLoop().allTasks();
    }

    /** Schedules {@code coroutine} as a task on the running loop: {@code asyncio.create_task}. */
    public static <T> Task<T> createTask(Coroutine<T> coroutine) {
        return getRunningLoop().createTask(coroutine);
    }

    /** As {@link #createTask(Coroutine)}, named. */
    public static <T> Task<T> createTask(String name, Coroutine<T> coroutine) {
        return getRunningLoop().createTask(name, coroutine);
    }

    /** {@code asyncio.ensure_future(fut)}: a future stays itself. Any thread. */
    public static <T> LoopFuture<T> ensureFuture(LoopFuture<T> future) {
        return Objects.requireNonNull(future, "future");
    }

    /**
     * {@code asyncio.ensure_future(coro)}: a coroutine becomes a task on the running loop, as
     * {@link #createTask(Coroutine)}. Loop thread or coroutine only.
     */
    public static <T> Task<T> ensureFuture(Coroutine<T> coroutine) {
        return createTask(Objects.requireNonNull(coroutine, "coroutine"));
    }

    /**
     * {@code asyncio.ensure_future(aw)} for code that holds a future or a coroutine as an {@code Object} (a
     * mixed collection, say): one of the two overloads above.
     *
     * @throws IllegalArgumentException if {@code futureOrCoroutine} is neither
     */
    public static LoopFuture<?> ensureFuture(Object futureOrCoroutine) {
        Objects.requireNonNull(futureOrCoroutine, "futureOrCoroutine");
        if (futureOrCoroutine instanceof LoopFuture<?> f) {
            return f;
        }
        if (futureOrCoroutine instanceof Coroutine<?> c) {
            return createTask(c);
        }
        throw new IllegalArgumentException("A LoopFuture or a Coroutine is required, not "
                + futureOrCoroutine.getClass().getName());
    }

    /**
     * Suspends the current task for {@code delay}: {@code asyncio.sleep}. Zero or negative yields once,
     * letting every ready callback run. Woken by the loop's own timer heap.
     */
    public static void sleep(Duration delay) throws Exception {
        sleep(delay, null);
    }

    /** {@code asyncio.sleep(delay, result)}: sleeps, then returns {@code result}. */
    public static <T> T sleep(Duration delay, T result) throws Exception {
        Objects.requireNonNull(delay, "delay");
        EventLoop loop = getRunningLoop();
        Task<?> task = Task.current(loop, "Aio.sleep()");
        if (delay.isZero() || delay.isNegative()) {
            task.yieldNow();
            return result;
        }
        task.sleepUntil(loop.deadline(delay));
        return result;
    }

    // ---- combinators: gather, wait, as_completed, shield, wait_for, timeout, TaskGroup ----------------

    /**
     * Waits for every future and returns their results in argument order: {@code asyncio.gather(*fs)}.
     * The first failure fails the gather at once with that exception; the other futures are <em>not</em>
     * cancelled and go on. Cancelling the gather cancels every future not yet done and returns whether any
     * took the request; the gather ends once its children let it, and ends cancelled even if a child
     * swallowed the cancellation. A child cancelled on its own also ends the gather cancelled.
     *
     * <p>Deliberate difference: in both cases CPython leaves the gather "finished with a CancelledError as
     * its exception" ({@code cancelled()} false), a state {@link LoopFuture} does not allow (its
     * {@code setException} refuses a cancellation); here {@link LoopFuture#isCancelled()} is true. Awaiters
     * see a {@link CancellationException} either way.
     * A future given twice is watched once and its result appears twice. No futures: a done, empty list.
     * Loop thread only.
     *
     * @throws IllegalArgumentException if the futures belong to different loops
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public static <T> LoopFuture<List<T>> gather(LoopFuture<? extends T>... futures) {
        return Gather.of(futures, false);
    }

    /** As {@link #gather(LoopFuture[])}, each coroutine first wrapped in a task on the running loop. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public static <T> LoopFuture<List<T>> gather(Coroutine<? extends T>... coroutines) {
        return Gather.of(coroutines, false);
    }

    /**
     * As {@link #gather(LoopFuture[])} for a collection mixing {@link LoopFuture}s and {@link Coroutine}s
     * (each coroutine becomes a task). The element type is the caller's to state.
     *
     * @throws IllegalArgumentException for an element that is neither
     */
    public static <T> LoopFuture<List<T>> gather(Collection<?> futuresOrCoroutines) {
        return Gather.of(futuresOrCoroutines, false);
    }

    /**
     * Waits for every future and returns how each ended, in argument order:
     * {@code asyncio.gather(*fs, return_exceptions=True)}. A failure or a cancellation of one future is a
     * {@link Outcome.Failure} in the list; only cancelling the gather itself ends it cancelled (once every
     * future is done). Loop thread only.
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public static <T> LoopFuture<List<Outcome<T>>> gatherSettled(LoopFuture<? extends T>... futures) {
        return Gather.of(futures, true);
    }

    /** As {@link #gatherSettled(LoopFuture[])}, each coroutine first wrapped in a task. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public static <T> LoopFuture<List<Outcome<T>>> gatherSettled(Coroutine<? extends T>... coroutines) {
        return Gather.of(coroutines, true);
    }

    /** As {@link #gatherSettled(LoopFuture[])} for a collection mixing futures and coroutines. */
    public static <T> LoopFuture<List<Outcome<T>>> gatherSettled(Collection<?> futuresOrCoroutines) {
        return Gather.of(futuresOrCoroutines, true);
    }

    /** {@link #wait(Collection, ReturnWhen, Duration)} with no timeout. */
    public static <F extends LoopFuture<?>> WaitResult<F> wait(Collection<? extends F> futures,
            ReturnWhen returnWhen) throws Exception {
        return wait(futures, returnWhen, null);
    }

    /**
     * Suspends the current task until {@code returnWhen} holds or {@code timeout} (null: none) passes,
     * and returns which futures are done and which pending: {@code asyncio.wait}. Never cancels a future;
     * a timeout just returns. Always yields to the loop at least once, even if all are done. A future given
     * twice counts once. Only inside a coroutine.
     *
     * @throws IllegalArgumentException if {@code futures} is empty or spans loops
     * @throws CancellationException    if the waiting task is cancelled (the futures are left alone)
     */
    public static <F extends LoopFuture<?>> WaitResult<F> wait(Collection<? extends F> futures,
            ReturnWhen returnWhen, Duration timeout) throws Exception {
        Objects.requireNonNull(futures, "futures");
        Objects.requireNonNull(returnWhen, "returnWhen");
        if (futures.isEmpty()) {
            throw new IllegalArgumentException("Set of Futures is empty.");
        }
        EventLoop loop = getRunningLoop();
        Task.current(loop, "Aio.wait()");
        Set<F> fs = new LinkedHashSet<>(futures);
        for (F f : fs) {
            if (f.loop != loop) {
                throw new IllegalArgumentException("Aio.wait(): " + f + " belongs to another loop");
            }
        }
        LoopFuture<Void> waiter = loop.createFuture();
        TimerHandle timeoutHandle = timeout == null ? null : loop.callLater(timeout, () -> release(waiter));
        int[] counter = {fs.size()};
        Consumer<LoopFuture<?>> onCompletion = f -> {
            if (--counter[0] <= 0 || returnWhen == ReturnWhen.FIRST_COMPLETED
                    || returnWhen == ReturnWhen.FIRST_EXCEPTION && !f.isCancelled() && f.exception() != null) {
                release(waiter);
            }
        };
        for (F f : fs) {
            f.addDoneCallback(onCompletion);
        }
        try {
            waiter.await();
        } finally {
            if (timeoutHandle != null) {
                timeoutHandle.cancel();
            }
            for (F f : fs) {
                f.removeDoneCallback(onCompletion);
            }
        }
        Set<F> done = new LinkedHashSet<>();
        Set<F> pending = new LinkedHashSet<>();
        for (F f : fs) {
            (f.isDone() ? done : pending).add(f);
        }
        return new WaitResult<>(done, pending);
    }

    private static void release(LoopFuture<Void> waiter) {
        waiter.trySetResult(null);
    }

    /**
     * The futures' results in the order they finish: {@code asyncio.as_completed}. The iterable yields one
     * new future per input (a future given twice counts once); awaiting the n-th gives the value (or throws
     * the exception, or the cancellation) of the n-th input to finish. After {@code timeout} (null: none)
     * every further await throws {@link TimeoutException}; the inputs are never cancelled. A result is only
     * taken by a future still waiting, so cancelling the task awaiting one does not lose it: the next future
     * yielded gets it. Single use. Loop thread only.
     */
    public static <T> Iterable<LoopFuture<T>> asCompleted(Collection<? extends LoopFuture<? extends T>> futures,
            Duration timeout) {
        return new AsCompleted<>(futures, timeout);
    }

    /**
     * Protects {@code inner} from cancellation: {@code asyncio.shield}. Returns {@code inner} itself if it
     * is done, else a new future that ends as {@code inner} does; cancelling that one (for example by
     * cancelling the task awaiting it) leaves {@code inner} running, and its result still reaches everyone
     * else awaiting it. Loop thread only.
     */
    public static <T> LoopFuture<T> shield(LoopFuture<T> inner) {
        Objects.requireNonNull(inner, "inner");
        if (inner.isDone()) {
            return inner;
        }
        LoopFuture<T> outer = inner.loop.createFuture();
        Consumer<LoopFuture<T>> innerDone = f -> {
            if (outer.isCancelled()) {
                if (!f.isCancelled()) {
                    f.exception(); // nobody awaits the outer any more: do not report the failure twice
                }
                return;
            }
            Futures.forward(f, outer);
        };
        inner.addDoneCallback(innerDone);
        outer.addDoneCallback(o -> {
            if (!inner.isDone()) {
                inner.removeDoneCallback(innerDone);
            }
        });
        return outer;
    }

    /** As {@link #shield(LoopFuture)} for a coroutine, first wrapped in a task on the running loop. */
    public static <T> LoopFuture<T> shield(Coroutine<T> coroutine) {
        return shield(createTask(coroutine));
    }

    /**
     * Awaits {@code future} for at most {@code timeout} (null: no limit): {@code asyncio.wait_for}, as
     * CPython 3.12+ writes it (over {@link #withTimeout(Duration, Coroutine)}). At the deadline the future
     * is cancelled, and this waits until it has finished cancelling; then it throws
     * {@link TimeoutException} whose cause is the cancellation. If the future swallows the cancellation and
     * produces a value, that value is returned. A cancellation of the caller from outside is never lost,
     * even if it lands together with the future's completion or with the deadline. Only inside a coroutine.
     */
    public static <T> T waitFor(LoopFuture<T> future, Duration timeout) throws Exception {
        Objects.requireNonNull(future, "future");
        if (timeout == null) {
            return future.await();
        }
        if (timeout.isZero() || timeout.isNegative()) {
            if (future.isDone()) {
                return future.result();
            }
            cancelAndWait(future);
            try {
                return future.result();
            } catch (CancellationException ce) {
                TimeoutException te = new TimeoutException("timed out");
                te.initCause(ce);
                throw te;
            }
        }
        return withTimeout(timeout, future::await);
    }

    /**
     * As {@link #waitFor(LoopFuture, Duration)} for a coroutine, which runs in the calling task as in
     * CPython 3.12+ (a zero or negative timeout first wraps it in a task, to cancel it before it starts).
     */
    public static <T> T waitFor(Coroutine<T> coroutine, Duration timeout) throws Exception {
        Objects.requireNonNull(coroutine, "coroutine");
        EventLoop loop = getRunningLoop();
        Task.current(loop, "Aio.waitFor()");
        if (timeout == null) {
            return coroutine.call();
        }
        if (timeout.isZero() || timeout.isNegative()) {
            return waitFor(loop.createTask(coroutine), timeout);
        }
        return withTimeout(timeout, coroutine);
    }

    /** asyncio's {@code _cancel_and_wait}: cancel, then wait until the future is done, however it ends. */
    private static void cancelAndWait(LoopFuture<?> future) throws Exception {
        LoopFuture<Void> waiter = future.loop.createFuture();
        Consumer<LoopFuture<?>> release = f -> release(waiter);
        future.addDoneCallback(release);
        try {
            future.cancel();
            waiter.await();
        } finally {
            future.removeDoneCallback(release);
        }
    }

    /**
     * Runs {@code body} in the current task with a deadline {@code timeout} from now (null: none):
     * {@code async with asyncio.timeout(d)}. See {@link Timeout}. Only inside a coroutine.
     *
     * @throws TimeoutException if the deadline cancelled the body (cause: that cancellation)
     */
    public static <T> T withTimeout(Duration timeout, Coroutine<T> body) throws Exception {
        Objects.requireNonNull(body, "body");
        return withTimeout(timeout, t -> body.call());
    }

    /**
     * As {@link #withTimeout(Duration, Coroutine)}, the body given the {@link Timeout} so that it can read
     * or move its deadline ({@code async with asyncio.timeout(d) as t}).
     */
    public static <T> T withTimeout(Duration timeout, Timeout.Body<T> body) throws Exception {
        return Timeout.run(timeout == null ? null : getRunningLoop().deadline(timeout), body);
    }

    /** {@code async with asyncio.timeout_at(when)}: the deadline in loop time ({@link EventLoop#time()}). */
    public static <T> T withTimeoutAt(long deadlineNanos, Timeout.Body<T> body) throws Exception {
        return Timeout.run(deadlineNanos, body);
    }

    /**
     * Runs {@code body} in the current task with a {@link TaskGroup} for it to start children in, and
     * returns when every child is done: {@code async with asyncio.TaskGroup() as tg}. Returns the body's
     * result (null if the body was stopped by {@link TaskGroup#cancel()}). Only inside a coroutine.
     *
     * @throws TaskGroupException    if children (or the body) failed: every exception, no cancellations
     * @throws CancellationException if the calling task was cancelled from outside
     */
    public static <T> T taskGroup(TaskGroup.Body<T> body) throws Exception {
        return TaskGroup.run(body);
    }
}
