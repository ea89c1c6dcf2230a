package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * A result that will be set later on one loop: {@code asyncio.Future}.
 *
 * <p>States: pending, then finished (a result or an exception) or cancelled; once done it never changes.
 * Done-callbacks and the tasks awaiting it are always <em>scheduled</em> on the loop, in registration order,
 * never run inline (once the loop is closed there is nothing to schedule on: then the completing thread runs
 * them, rather than leave anyone waiting).
 *
 * <p>Thread-safety: {@link #isDone()} and {@link #isCancelled()} may be read from any thread, and so may
 * {@link #result()} and {@link #exception()} once {@code isDone()} was seen true. Everything else belongs to
 * the loop's thread and fails fast elsewhere; from other threads use {@code loop.callSoonThreadsafe} or the
 * bridge ({@code Bridge.toCompletableFuture}).
 *
 * @param <T> the result type
 */
public sealed class LoopFuture<T> permits Task, Gather {
    static final int PENDING = 0, FINISHED = 1, CANCELLED = 2;

    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "loopbridge-cleaner");
        t.setDaemon(true);
        return t;
    });

    final EventLoop loop;
    private volatile int state;
    private T value;
    /**
     * The failure; for a cancelled future, the CancellationException that result() throws, made on first
     * demand from {@link #cancelMessage} (as CPython does): cancelling a million tasks fills no stack traces.
     */
    private Throwable exception;
    /** The cancel message; for a pending {@link Task}, that of the cancellation request to deliver. */
    String cancelMessage;
    /** null, one callback or waiting Task, or an ArrayList of them in registration order. */
    private Object callbacks;
    /** Set while a failure has not been retrieved; reports it if this future is collected first. */
    private UnretrievedReport unretrieved;

    LoopFuture(EventLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    /** The loop this future belongs to. Any thread. */
    public final EventLoop getLoop() {
        return loop;
    }

    /** Any thread. */
    public final boolean isDone() {
        return state != PENDING;
    }

    /** Any thread. */
    public final boolean isCancelled() {
        return state == CANCELLED;
    }

    /** Done with an exception other than a cancellation. */
    final boolean failed() {
        return state == FINISHED && exception != null;
    }

    /**
     * The result: {@code Future.result()}. Throws the future's own exception object if it failed,
     * a {@link CancellationException} carrying the cancel message if cancelled, and
     * {@link InvalidStateException} if it is still pending.
     */
    public final T result() throws Exception {
        switch (state) {
            case FINISHED -> {
                if (exception == null) {
                    return value;
                }
                markRetrieved();
                throw sneakyThrow(exception);
            }
            case CANCELLED -> throw cancellation();
            default -> throw new InvalidStateException("Result is not ready: " + this);
        }
    }

    /**
     * The exception, or null if the future succeeded: {@code Future.exception()}. Throws
     * {@link CancellationException} if cancelled and {@link InvalidStateException} if pending.
     */
    public final Throwable exception() {
        switch (state) {
            case FINISHED -> {
                markRetrieved();
                return exception;
            }
            case CANCELLED -> throw cancellation();
            default -> throw new InvalidStateException("Exception is not set: " + this);
        }
    }

    /**
     * Waits for this future inside a coroutine and returns its result (or throws its exception):
     * {@code await fut}. Returns at once, without yielding, if already done. Otherwise suspends the current
     * task, freeing the loop thread, until this future is done.
     *
     * @throws IllegalStateException outside a coroutine of this future's loop
     */
    public final T await() throws Exception {
        Task.awaitOn(this);
        return result();
    }

    /** Marks the future done with a result: {@code Future.set_result}. Loop thread only. */
    public void setResult(T result) {
        loop.confinement.checkThread("setResult", "loop.callSoonThreadsafe(() -> future.setResult(v))");
        complete(result, null);
    }

    /**
     * Sets the result unless the future is already done (cancelled, typically) and says whether it did:
     * asyncio's {@code _set_result_unless_cancelled}, Netty's {@code Promise.trySuccess}. For a waker that
     * may find its waiter cancelled. Loop thread only.
     */
    public final boolean trySetResult(T result) {
        loop.confinement.checkThread("trySetResult", "loop.callSoonThreadsafe(() -> future.trySetResult(v))");
        if (state != PENDING) {
            return false;
        }
        complete(result, null);
        return true;
    }

    /** Marks the future failed: {@code Future.set_exception}. Loop thread only. */
    public void setException(Throwable exception) {
        Objects.requireNonNull(exception, "exception");
        loop.confinement.checkThread("setException", "loop.callSoonThreadsafe(() -> future.setException(e))");
        if (exception instanceof CancellationException) {
            // asyncio refuses StopIteration here; a cancellation is not a failure, say so at the cause.
            throw new IllegalArgumentException("use cancel() to cancel a future, not setException", exception);
        }
        complete(null, exception);
    }

    /** Requests cancellation with no message. See {@link #cancel(String)}. */
    public final boolean cancel() {
        return cancel(null);
    }

    /**
     * Cancels the future, scheduling its callbacks: {@code Future.cancel(msg)}. Returns false if it was
     * already done. Loop thread only.
     */
    public boolean cancel(String message) {
        loop.confinement.checkThread("cancel", "loop.callSoonThreadsafe(future::cancel) or Bridge");
        return cancelNow(message);
    }

    /**
     * Schedules {@code callback.accept(this)} for when this future is done (at once, if it is):
     * {@code Future.add_done_callback}. Loop thread only.
     */
    public final void addDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        loop.confinement.checkThread("addDoneCallback", "Bridge.toCompletableFuture(future)");
        addWaiter(callback);
    }

    /**
     * Removes every registration of {@code callback} not yet scheduled: {@code Future.remove_done_callback}.
     * Returns how many were removed. Callbacks are compared with {@code equals}, as asyncio compares with
     * {@code ==}; note that two evaluations of a method reference are not equal, so keep the one you added.
     * Loop thread only.
     */
    public final int removeDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        loop.confinement.checkThread("removeDoneCallback", "loop.callSoonThreadsafe");
        Object cbs = callbacks;
        if (cbs instanceof CallbackList list) {
            int before = list.size();
            list.removeIf(callback::equals);
            return before - list.size();
        }
        if (callback.equals(cbs)) {
            callbacks = null;
            return 1;
        }
        return 0;
    }

    // ---- internals shared with Task and the loop -------------------------------------------------

    /** Registers a Consumer or an awaiting Task; when done, it is scheduled at once. */
    final void addWaiter(Object waiter) {
        if (state != PENDING) {
            schedule(waiter);
            return;
        }
        Object cbs = callbacks;
        if (cbs == null) {
            callbacks = waiter;
        } else if (cbs instanceof CallbackList list) {
            list.add(waiter);
        } else {
            CallbackList list = new CallbackList();
            list.add(cbs);
            list.add(waiter);
            callbacks = list;
        }
    }

    final void removeWaiter(Object waiter) {
        Object cbs = callbacks;
        if (cbs == waiter) {
            callbacks = null;
        } else if (cbs instanceof CallbackList list) {
            list.remove(waiter);
        }
    }

    final void complete(T result, Throwable failure) {
        if (state != PENDING) {
            throw new InvalidStateException((failure == null ? "setResult" : "setException")
                    + " on a future that is already done: " + this);
        }
        value = result;
        exception = failure;
        if (failure != null) {
            UnretrievedReport report = new UnretrievedReport(loop, unretrievedMessage(), failure);
            unretrieved = report;
            CLEANER.register(this, report);
        }
        state = FINISHED;
        scheduleCallbacks();
    }

    final boolean cancelNow(String message) {
        if (state != PENDING) {
            return false;
        }
        cancelMessage = message;
        cancelWith(null);
        return true;
    }

    /** The cancellation result() throws; benignly racy when first asked from several threads at once. */
    private CancellationException cancellation() {
        Throwable e = exception;
        if (e == null) {
            e = new CancellationException(cancelMessage);
            exception = e;
        }
        return (CancellationException) e;
    }

    /** Cancels with {@code cause} as the exception result() throws, or, if null, one made from the message. */
    final void cancelWith(CancellationException cause) {
        exception = cause;
        state = CANCELLED;
        scheduleCallbacks();
    }

    final void markRetrieved() {
        UnretrievedReport report = unretrieved;
        if (report != null) {
            report.retrieved = true;
            unretrieved = null;
        }
    }

    /** What the report of an exception nobody retrieved says. */
    String unretrievedMessage() {
        return "Future exception was never retrieved";
    }

    private void scheduleCallbacks() {
        Object cbs = callbacks;
        if (cbs == null) {
            return;
        }
        callbacks = null;
        if (cbs instanceof CallbackList list) {
            for (Object waiter : list) {
                schedule(waiter);
            }
        } else {
            schedule(cbs);
        }
    }

    @SuppressWarnings("unchecked")
    private void schedule(Object waiter) {
        if (waiter instanceof Task<?> task) {
            task.wakeUp(); // asyncio's call_soon(task.__wakeup): the task's next step joins the ready queue
        } else {
            Consumer<? super LoopFuture<T>> callback = (Consumer<? super LoopFuture<T>>) waiter;
            if (loop.isClosed()) {
                // No loop left to schedule on: run it here rather than leave whoever waits hanging.
                loop.closing.runClosedCallback(() -> callback.accept(this));
            } else {
                loop.scheduling.addReady(new DoneCallback<>(this, callback));
            }
        }
    }

    @Override
    public String toString() {
        String s = switch (state) {
            case PENDING -> "pending";
            case CANCELLED -> "cancelled";
            default -> exception != null ? "failed: " + Handle.describe(exception) : "finished: " + Handle.describe(value);
        };
        return getClass().getSimpleName() + "[" + s + "]";
    }

    @SuppressWarnings("unchecked")
    static <E extends Throwable> E sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * A done-callback queued on the loop: {@code call_soon(callback, fut)}, with no handle, as no one gets one.
     * If the loop closes before running it (e.g. stopped right after this iteration), it runs on the closing
     * thread: whoever waits on the future is never left hanging.
     */
    private static final class DoneCallback<T> implements LoopSpi.Droppable {
        private final LoopFuture<T> future;
        private final Consumer<? super LoopFuture<T>> callback;

        DoneCallback(LoopFuture<T> future, Consumer<? super LoopFuture<T>> callback) {
            this.future = future;
            this.callback = callback;
        }

        @Override
        public void run() {
            callback.accept(future);
        }

        @Override
        public void dropped() {
            future.loop.closing.runClosedCallback(this);
        }

        @Override
        public String toString() {
            return Handle.describe(callback);
        }
    }

    /** Marks a list of waiters apart from a single waiter that might itself be a list. */
    private static final class CallbackList extends ArrayList<Object> {
        CallbackList() {
            super(4);
        }
    }

    /** The Cleaner's action: it must not reach the future, or the future would never be collected. */
    private static final class UnretrievedReport implements Runnable {
        private final EventLoop loop;
        private final String message;
        private final Throwable exception;
        volatile boolean retrieved;

        UnretrievedReport(EventLoop loop, String message, Throwable exception) {
            this.loop = loop;
            this.message = message;
            this.exception = exception;
        }

        @Override
        public void run() {
            if (!retrieved) {
                loop.errors.reportFromAnyThread(ErrorContext.of(message, exception));
            }
        }
    }
}
