package io.loopbridge.bridge;

import io.loopbridge.core.Aio;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link LoopPool#asExecutorService()}: each Callable or Runnable runs as a coroutine task on the pool's
 * next loop; the returned futures are the bridge's {@link CompletableFuture}s, so they always complete.
 */
final class PoolExecutorService implements ExecutorService {
    private final LoopPool pool;

    PoolExecutorService(LoopPool pool) {
        this.pool = pool;
    }

    /** Runs {@code command} as a task; if it throws, the loop's exception handler is told. */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        pool.submit(() -> {
            try {
                command.run();
            } catch (Throwable e) {
                if (e instanceof CancellationException) {
                    throw e;
                }
                Aio.getRunningLoop().callExceptionHandler(new io.loopbridge.core.ErrorContext(
                        "Exception in task executed by LoopPool '" + pool.name() + "'", e, Aio.currentTask(), null));
            }
            return null;
        });
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return pool.submit(task::call);
    }

    @Override
    public Future<?> submit(Runnable task) {
        return submit(task, null);
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
        Objects.requireNonNull(task, "task");
        return pool.submit(() -> {
            task.run();
            return result;
        });
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        return invokeAll(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    }

    /**
     * Submits all, waits until all are done or the timeout elapses (then the unfinished ones are cancelled),
     * as {@link ExecutorService#invokeAll}. A rejection cancels what was submitted and is rethrown.
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
        long deadline = deadline(timeout, unit);
        List<Future<T>> futures = submitAll(tasks);
        try {
            for (Future<T> f : futures) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    f.get(left, TimeUnit.NANOSECONDS);
                } catch (ExecutionException | CancellationException ignored) {
                    // its outcome is in its future
                } catch (TimeoutException e) {
                    break;
                }
            }
        } finally {
            cancelAll(futures); // no-op for the done ones; also on interrupt
        }
        return futures;
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        try {
            return invokeAny(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (TimeoutException cannotHappen) {
            throw new AssertionError(cannotHappen);
        }
    }

    /**
     * Returns the result of the first task to succeed and cancels the others, as
     * {@link ExecutorService#invokeAny}; if all fail, an {@link ExecutionException} with the last failure.
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = deadline(timeout, unit);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("invokeAny needs at least one task");
        }
        CompletableFuture<T> first = new CompletableFuture<>();
        AtomicInteger failures = new AtomicInteger();
        int n = tasks.size();
        List<Future<T>> futures = new ArrayList<>(n);
        try {
            for (Callable<T> task : tasks) {
                Objects.requireNonNull(task, "task");
                CompletableFuture<T> f = pool.submit(task::call);
                futures.add(f);
                f.whenComplete((value, failure) -> {
                    if (failure == null) {
                        first.complete(value);
                    } else if (failures.incrementAndGet() == n) {
                        first.completeExceptionally(failure instanceof java.util.concurrent.CompletionException
                                && failure.getCause() != null ? failure.getCause() : failure);
                    }
                });
            }
            return first.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            cancelAll(futures);
        }
    }

    private <T> List<Future<T>> submitAll(Collection<? extends Callable<T>> tasks) {
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<T> task : tasks) {
                futures.add(submit(task));
            }
        } catch (RuntimeException e) {
            cancelAll(futures);
            throw e;
        }
        return futures;
    }

    private static void cancelAll(List<? extends Future<?>> futures) {
        for (Future<?> f : futures) {
            f.cancel(true);
        }
    }

    private static long deadline(long timeout, TimeUnit unit) {
        return System.nanoTime() + PoolSettings.nanos(Duration.ofNanos(unit.toNanos(timeout))); // toNanos saturates
    }

    /** Graceful shutdown with no time limit: submitted tasks run to their end; does not wait. */
    @Override
    public void shutdown() {
        pool.shutdownGracefully(Duration.ofNanos(Long.MAX_VALUE));
    }

    /**
     * Shutdown with no grace: running tasks are cancelled (a JDK blocking call in one is interrupted by the
     * fast engine) and queued ones never start; their futures complete (cancelled or rejected). Returns an
     * empty list: the work never started is reported through its futures, not handed back.
     */
    @Override
    public List<Runnable> shutdownNow() {
        pool.shutdownGracefully(Duration.ZERO);
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return pool.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return pool.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            pool.terminationFuture().get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@link LoopPool#close()}: graceful shutdown with the pool's close grace, waiting for it. */
    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "ExecutorService view of " + pool;
    }
}
