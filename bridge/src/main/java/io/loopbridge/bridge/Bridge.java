package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.spi.LoopSpi;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The doors between ordinary threads and event loops: asyncio's {@code run_coroutine_threadsafe},
 * {@code wrap_future}, {@code to_thread} and {@code run_in_executor}.
 *
 * <p>Every {@link CompletableFuture} returned here completes, whatever happens to the loop: with the
 * result, the exception (the same object), or a cancellation; if the loop is closed after accepting the
 * work and before starting it, with a {@link RejectedExecutionException}; if a {@link LoopPool} loop's
 * thread dies, with an {@link IllegalStateException} whose cause is what it died of. A loop already closed
 * (or a pool shut down) at the call is reported by throwing {@link RejectedExecutionException}, as
 * {@code ExecutorService.submit} does.
 *
 * <p>The submitting thread's context (SLF4J MDC by default) is carried into the work: see
 * {@link ContextPropagator}.
 */
public final class Bridge {
    private static volatile ContextPropagator propagator =
            Boolean.parseBoolean(System.getProperty("loopbridge.propagateMdc", "true"))
                    ? ContextPropagator.MDC : ContextPropagator.NONE;

    /** A loop's default executor for {@link #toThread}: attached to the loop, shut down when it closes. */
    private static final LoopSpi.Key<ExecutorService> DEFAULT_EXECUTOR = new LoopSpi.Key<>("Bridge default executor");

    private Bridge() {
    }

    /**
     * Runs {@code coroutine} as a task on {@code loop} and returns a future of its outcome:
     * {@code asyncio.run_coroutine_threadsafe}. Any thread.
     *
     * <p>The task is created on the loop; its result, its exception (the same object) or its cancellation
     * completes the future. Cancelling the future ({@code cancel(true)}), or completing it any other way from
     * outside ({@code orTimeout}, {@code completeOnTimeout}), cancels the task on its loop: it sees a
     * {@link CancellationException} at its current or next await (if it had not started, it never runs).
     *
     * <p>The future is completed <b>on the loop's thread</b>, so dependents added with {@code thenApply},
     * {@code whenComplete}... run there too (or on another thread completing a dependent of the same
     * future, as {@code CompletableFuture} allows) and must not block. Hand blocking dependents to another
     * executor:
     * <pre>{@code
     * Bridge.runCoroutineThreadsafe(() -> fetch(id), loop)
     *       .thenApplyAsync(row -> jdbc.save(row), legacyPool);   // runs on legacyPool, not the loop
     * }</pre>
     *
     * <p>A caller blocked in {@code get()} or {@code join()} polls for up to 50 µs before it parks: a short
     * coroutine's answer then costs it no wake-up.
     *
     * @throws RejectedExecutionException if the loop is closed, or its pool shut down or full
     */
    public static <T> CompletableFuture<T> runCoroutineThreadsafe(Coroutine<T> coroutine, EventLoop loop) {
        Objects.requireNonNull(coroutine, "coroutine");
        Objects.requireNonNull(loop, "loop");
        return submit(coroutine, loop, PooledLoop.of(loop), true);
    }

    /**
     * Runs {@code function} as a plain callback on {@code loop}'s thread (not as a task: it cannot await)
     * and returns a future of its result: {@code loop.call_soon_threadsafe} with an answer. Cancelling the
     * future before the callback runs means it never runs. Completed on the loop thread, as
     * {@link #runCoroutineThreadsafe}. Any thread.
     *
     * @throws RejectedExecutionException if the loop is closed, or its pool shut down or full
     */
    public static <T> CompletableFuture<T> callSoonThreadsafe(EventLoop loop, Callable<T> function) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(function, "function");
        return submit(function::call, loop, PooledLoop.of(loop), false);
    }

    static <T> CompletableFuture<T> submit(Coroutine<T> work, EventLoop loop, PooledLoop member, boolean asTask) {
        BridgeFuture<T> future = new BridgeFuture<>(loop, member, propagator(member).wrap(work), asTask);
        if (member != null) {
            member.admit();
        }
        try {
            loop.execute(future); // no handle: the future is told if it is dropped (LoopSpi.Droppable)
        } catch (RejectedExecutionException closed) {
            if (member != null) {
                throw member.refused();
            }
            throw closed;
        }
        if (member != null) {
            member.accepted();
        }
        return future;
    }

    /**
     * Wraps {@code future} in a future of the running loop that a coroutine can await:
     * {@code asyncio.wrap_future}. Its outcome is copied onto the loop (the same exception object; a
     * {@link CompletionException} is unwrapped to its cause); cancelling the loop future cancels
     * {@code future}. Loop thread or coroutine only.
     *
     * @throws IllegalStateException if no loop runs on this thread
     */
    public static <T> LoopFuture<T> wrapFuture(CompletableFuture<T> future) {
        Objects.requireNonNull(future, "future");
        EventLoop loop = Aio.getRunningLoop();
        LoopFuture<T> wrapped = loop.createFuture();
        wrapped.addDoneCallback(f -> {
            if (f.isCancelled()) {
                future.cancel(true);
            }
        });
        future.whenComplete((value, failure) -> {
            try {
                loop.execute(() -> copy(value, failure, wrapped));
            } catch (RejectedExecutionException closed) {
                // the loop is closed: whoever awaited the wrapper was cancelled with it
            }
        });
        return wrapped;
    }

    private static <T> void copy(T value, Throwable failure, LoopFuture<T> into) {
        if (into.isDone()) {
            return; // cancelled meanwhile
        }
        if (failure == null) {
            into.setResult(value);
            return;
        }
        if (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        if (failure instanceof CancellationException) {
            into.cancel(failure.getMessage());
        } else {
            into.setException(failure);
        }
    }

    /**
     * A {@link CompletableFuture} of {@code future}'s outcome that any thread can wait on: the way out of a
     * loop ({@code asyncio.wrap_future}'s converse). Cancelling it cancels {@code future} on its loop. If
     * the loop closes with {@code future} still pending (asyncio would leave the caller waiting for ever), it
     * is cancelled. Completed on the loop thread (see {@link #runCoroutineThreadsafe} about dependents).
     * Any thread.
     */
    public static <T> CompletableFuture<T> toCompletableFuture(LoopFuture<T> future) {
        Objects.requireNonNull(future, "future");
        BridgeFuture<T> mirror = new BridgeFuture<>(future);
        if (future.isDone()) {
            mirror.accept(future); // result() may be read by any thread once isDone() was seen true
            return mirror;
        }
        try {
            future.getLoop().execute(mirror);
        } catch (RejectedExecutionException closed) {
            mirror.dropped(); // a closed loop has no thread: hook the future here
        }
        return mirror;
    }

    /**
     * A coroutine on one loop awaits work on another: runs {@code coroutine} on {@code target} and returns
     * a future of the <em>running</em> loop to await. Cancelling either side cancels the other.
     * {@code Bridge.runOn(loopB, () -> lookup(key)).await()}. Loop thread or coroutine only.
     */
    public static <T> LoopFuture<T> runOn(EventLoop target, Coroutine<T> coroutine) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(coroutine, "coroutine");
        Aio.getRunningLoop(); // refuse before submitting: a refused call must leave nothing running on target
        return wrapFuture(runCoroutineThreadsafe(coroutine, target));
    }

    /**
     * Runs blocking {@code function} on the running loop's default executor and returns a future to await:
     * {@code asyncio.to_thread}. The submitter's context is carried along ({@link ContextPropagator}).
     *
     * <p>The default executor belongs to the loop: a bounded pool ({@code min(32, processors + 4)} daemon
     * threads named {@code <loop>-to-thread-N}, idle ones exit after 60 s), attached to the loop on first use
     * and shut down (running functions interrupted) when the loop closes, as {@code loop.close()} does in
     * asyncio, or earlier with {@link #shutdownDefaultExecutor}.
     * Cancelling the returned future stops the function if it has not started; a running one is not
     * interrupted (as in asyncio). Loop thread or coroutine only.
     */
    public static <T> LoopFuture<T> toThread(Callable<T> function) {
        return runInExecutor(defaultExecutor(Aio.getRunningLoop()), function);
    }

    /**
     * Runs blocking {@code function} on {@code executor} and returns a future of the running loop to
     * await: {@code loop.run_in_executor}. Loop thread or coroutine only.
     *
     * @throws RejectedExecutionException if the executor refuses the function
     */
    public static <T> LoopFuture<T> runInExecutor(Executor executor, Callable<T> function) {
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(function, "function");
        EventLoop loop = Aio.getRunningLoop(); // fail before running anything
        Coroutine<T> work = propagator(PooledLoop.of(loop)).wrap(function::call);
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            if (result.isDone()) {
                return; // cancelled before it started
            }
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return wrapFuture(result);
    }

    /** The running loop's default executor for {@link #toThread}; see there. */
    static ExecutorService defaultExecutor(EventLoop loop) {
        return LoopSpi.attachment(loop, DEFAULT_EXECUTOR, Bridge::newDefaultExecutor);
    }

    private static ExecutorService newDefaultExecutor(EventLoop loop) {
        int threads = Math.min(32, Runtime.getRuntime().availableProcessors() + 4);
        String prefix = loop.name() + "-to-thread-";
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        loop.onClose(pool::shutdownNow); // this executor, not the attachment: a later one registers its own hook
        return pool;
    }

    /**
     * Shuts down {@code loop}'s default executor, if it has one, interrupting running functions (their
     * futures' loop is closing): {@code loop.shutdown_default_executor}. A later {@link #toThread} on the
     * same (still open) loop makes a new one. Any thread.
     */
    public static void shutdownDefaultExecutor(EventLoop loop) {
        ExecutorService executor = LoopSpi.removeAttachment(Objects.requireNonNull(loop, "loop"), DEFAULT_EXECUTOR);
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /**
     * Installs the default context carried into submitted work (initially {@link ContextPropagator#MDC}): used
     * for loops outside any pool, and taken by a {@link LoopPool} built afterwards that has no
     * {@link LoopPool.Builder#contextPropagator} of its own. Any thread.
     */
    public static void setContextPropagator(ContextPropagator contextPropagator) {
        propagator = Objects.requireNonNull(contextPropagator, "contextPropagator");
    }

    /** The default context propagator; see {@link #setContextPropagator}. Any thread. */
    public static ContextPropagator getContextPropagator() {
        return propagator;
    }

    /** What carries context into work on {@code member}'s loop: its pool's, or the default outside any pool. */
    private static ContextPropagator propagator(PooledLoop member) {
        return member != null ? member.pool.contextPropagator() : propagator;
    }
}
