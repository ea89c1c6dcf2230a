package io.loopbridge.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

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
        if (EventLoop.runningLoopOrNull() != null) {
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
        EventLoop loop = EventLoop.runningLoopOrNull();
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
        if (Task.CURRENT.isBound()) {
            return Task.CURRENT.get();
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
        LoopFuture<T> future = loop.createFuture();
        TimerHandle timer = loop.callLater(delay, () -> {
            if (!future.isDone()) {
                future.setResult(result);
            }
        });
        try {
            return future.await();
        } finally {
            timer.cancel();
        }
    }
}
