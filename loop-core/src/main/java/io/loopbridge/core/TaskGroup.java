package io.loopbridge.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * Tasks that live and die together: {@code asyncio.TaskGroup} (with CPython's fixes up to 3.14), entered by
 * {@link Aio#taskGroup}. The body runs in the calling (parent) task and may start children with
 * {@link #createTask}; the group ends only when every child is done.
 *
 * <ul>
 *   <li>The first child failure cancels the other children and the body (its next await throws a
 *   {@link CancellationException} that the group then absorbs), and the group throws a
 *   {@link TaskGroupException} with every child exception (not the cancellations), plus the body's own.
 *   <li>A cancellation of the parent from outside cancels every child and propagates as a cancellation
 *   once they are done. It is never lost: if children also failed, the {@link TaskGroupException} is thrown
 *   and the parent's cancellation is requested again, to land at its next await.
 *   <li>An {@link Error} from the body or a child is rethrown as is once the children are done, never
 *   inside a {@link TaskGroupException}, which {@code catch (Exception e)} would catch: an Error passes such
 *   a catch everywhere in loopbridge (a task's Error is its exception as is; a callback's goes to the
 *   exception handler). CPython treats SystemExit and KeyboardInterrupt so.
 * </ul>
 *
 * <p>Thread-safety: loop thread only.
 */
public final class TaskGroup {
    /** The body of a group: starts children with {@code group.createTask}. */
    @FunctionalInterface
    public interface Body<T> {
        T call(TaskGroup group) throws Exception;
    }

    private final EventLoop loop;
    private final Task<?> parent;
    private final Set<Task<?>> tasks = new LinkedHashSet<>();
    private final List<Throwable> errors = new ArrayList<>();
    private final Consumer<LoopFuture<?>> onTaskDone = f -> taskDone((Task<?>) f);
    private boolean exiting;
    private boolean aborting;
    /** We cancelled the parent (to stop its body): the group must withdraw that request on exit. */
    private boolean parentCancelRequested;
    private Error baseError;
    private LoopFuture<Void> onCompleted;

    private TaskGroup(EventLoop loop, Task<?> parent) {
        this.loop = loop;
        this.parent = parent;
    }

    /** {@code async with TaskGroup() as tg: body} in the calling task. */
    static <T> T run(Body<T> body) throws Exception {
        Objects.requireNonNull(body, "body");
        EventLoop loop = Aio.getRunningLoop();
        TaskGroup group = new TaskGroup(loop, Task.current(loop, "Aio.taskGroup()"));
        T result;
        try {
            result = body.call(group);
        } catch (Throwable e) {
            group.exit(e);
            return null; // the body was cancelled by group.cancel(): the group ends quietly
        }
        group.exit(null);
        return result;
    }

    /** As {@link #createTask(String, Coroutine)} with the loop's default name. */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(null, coroutine);
    }

    /**
     * Starts {@code coroutine} as a child task of this group: {@code TaskGroup.create_task}.
     *
     * @throws IllegalStateException if the group has ended, or is shutting down after a failure or a cancel
     */
    public <T> Task<T> createTask(String name, Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine");
        if (exiting && tasks.isEmpty()) {
            throw new IllegalStateException("TaskGroup " + this + " is finished");
        }
        if (aborting) {
            throw new IllegalStateException("TaskGroup " + this + " is shutting down");
        }
        Task<T> task = loop.createTask(name, coroutine);
        tasks.add(task);
        task.addDoneCallback(onTaskDone);
        return task;
    }

    /**
     * Cancels every child not yet done and the body, and makes the group end without a
     * {@link CancellationException} (unless someone else cancelled the parent too): {@code TaskGroup.cancel}
     * (CPython 3.14). Idempotent; does nothing once the group has ended.
     */
    public void cancel() {
        loop.confinement.checkThread("TaskGroup.cancel", "loop.callSoonThreadsafe(group::cancel)");
        if (exiting && tasks.isEmpty()) {
            return;
        }
        if (!aborting) {
            abort();
            if (!parentCancelRequested) {
                parentCancelRequested = true;
                parent.cancel();
            }
        }
    }

    /** {@code TaskGroup._aexit}: wait for the children, then decide what the body's block throws. */
    private void exit(Throwable bodyFailure) throws Exception {
        exiting = true;
        if (bodyFailure instanceof Error e && baseError == null) {
            baseError = e;
        }
        CancellationException propagate = bodyFailure instanceof CancellationException ce ? ce : null;
        if (bodyFailure != null && !aborting) {
            abort(); // the parent is being cancelled, or the body failed: stop the children
        }
        // A loop: the parent may be cancelled again (or already) while we wait for the children.
        CancellationException pending = null;
        while (!tasks.isEmpty()) {
            if (onCompleted == null) {
                onCompleted = loop.createFuture();
            }
            try {
                onCompleted.await();
            } catch (CancellationException ex) {
                pending = ex;
                if (!aborting) {
                    propagate = ex; // the parent is cancelled from outside while children still run
                    abort();
                }
            }
            onCompleted = null;
        }
        if (baseError != null) {
            for (Throwable e : errors) {
                if (e != baseError) {
                    loop.callExceptionHandler(new ErrorContext("TaskGroup task exception was not propagated"
                            + " because the TaskGroup body is being closed with an Error", e, null, null));
                }
            }
            throw baseError;
        }
        if (parentCancelRequested) {
            if (parent.uncancel() == 0) {
                propagate = null; // only our own request: absorb it
            } else if (propagate == null) {
                propagate = pending; // the remaining request is not ours: do not drop it
            }
        }
        if (propagate != null && errors.isEmpty()) {
            throw propagate;
        }
        if (bodyFailure != null && !(bodyFailure instanceof CancellationException)) {
            errors.add(bodyFailure);
        }
        if (!errors.isEmpty()) {
            if (parent.cancelling() > 0) {
                // Cancelled from outside too: keep that request alive (same count) for the parent's next await.
                parent.uncancel();
                parent.cancel();
            }
            throw new TaskGroupException(errors);
        }
    }

    private void abort() {
        aborting = true;
        for (Task<?> t : tasks) {
            if (!t.isDone()) {
                t.cancel();
            }
        }
    }

    private void taskDone(Task<?> task) {
        tasks.remove(task);
        if (onCompleted != null && tasks.isEmpty()) {
            onCompleted.trySetResult(null);
        }
        if (task.isCancelled()) {
            return;
        }
        Throwable error = task.exception();
        if (error == null) {
            return;
        }
        errors.add(error);
        if (error instanceof Error e && baseError == null) {
            baseError = e;
        }
        if (parent.isDone()) {
            loop.callExceptionHandler(new ErrorContext("Task " + task + " has errored out but its parent task "
                    + parent + " is already completed", error, task, null));
            return;
        }
        if (!aborting && !parentCancelRequested) {
            // Stop whatever the body awaits now; exit() withdraws this request, so the parent ends up not cancelled.
            abort();
            parentCancelRequested = true;
            parent.cancel();
        }
    }

    @Override
    public String toString() {
        return "TaskGroup[tasks=" + tasks.size() + (errors.isEmpty() ? "" : ", errors=" + errors.size())
                + (aborting ? ", cancelling" : exiting ? ", exiting" : ", entered") + "]";
    }
}
