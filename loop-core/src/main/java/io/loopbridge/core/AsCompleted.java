package io.loopbridge.core;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@link Aio#asCompleted}: asyncio's {@code as_completed}. Each {@link #next()} hands out a new future that
 * ends as the next input to finish ends (value, exception or cancellation). Like asyncio's queue of done
 * inputs, a result is claimed only by a future still waiting: if the task awaiting one is cancelled, that
 * result goes to the next future handed out instead of being lost. After the timeout, every future
 * handed out that has no result left to take fails with {@link TimeoutException}.
 *
 * <p>Single use: one iterator. Loop thread only.
 */
final class AsCompleted<T> implements Iterable<LoopFuture<T>>, Iterator<LoopFuture<T>> {
    private final EventLoop loop;
    private final int total;
    /** Inputs not yet done; empty after the timeout. */
    private final Set<LoopFuture<? extends T>> todo;
    /** Done inputs no handed-out future has taken yet, in completion order. */
    private final ArrayDeque<LoopFuture<? extends T>> done = new ArrayDeque<>();
    /** Handed-out futures waiting for a result (only while {@code done} is empty). */
    private final ArrayDeque<LoopFuture<T>> claims = new ArrayDeque<>();
    private final Consumer<LoopFuture<? extends T>> onCompletion = this::completed;
    private TimerHandle timeoutHandle;
    private boolean timedOut;
    private int handedOut;
    private boolean iterated;

    AsCompleted(Collection<? extends LoopFuture<? extends T>> futures, Duration timeout) {
        Objects.requireNonNull(futures, "futures");
        this.todo = new LinkedHashSet<>(futures); // a future given twice yields once, as in asyncio
        this.total = todo.size();
        this.loop = todo.isEmpty() ? Aio.getRunningLoop() : todo.iterator().next().loop;
        loop.confinement.checkThread("asCompleted", "Bridge.runCoroutineThreadsafe");
        for (LoopFuture<? extends T> f : todo) {
            if (f.loop != loop) {
                throw new IllegalArgumentException("futures of asCompleted() must share one loop: " + f);
            }
        }
        for (LoopFuture<? extends T> f : todo) {
            f.addDoneCallback(onCompletion);
        }
        if (!todo.isEmpty() && timeout != null) {
            timeoutHandle = loop.callLater(timeout, this::onTimeout);
        }
    }

    private void completed(LoopFuture<? extends T> f) {
        if (!todo.remove(f)) {
            return; // the timeout was here first
        }
        LoopFuture<T> claim;
        while ((claim = claims.poll()) != null) {
            if (!claim.isDone()) { // a cancelled claim takes nothing
                Futures.forward(f, claim);
                break;
            }
        }
        if (claim == null) {
            done.add(f);
        }
        if (todo.isEmpty() && timeoutHandle != null) {
            timeoutHandle.cancel();
        }
    }

    private void onTimeout() {
        timedOut = true;
        for (LoopFuture<? extends T> f : todo) {
            f.removeDoneCallback(onCompletion);
        }
        todo.clear();
        LoopFuture<T> claim;
        while ((claim = claims.poll()) != null) {
            if (!claim.isDone()) {
                claim.complete(null, new TimeoutException("asCompleted timed out"));
            }
        }
    }

    @Override
    public Iterator<LoopFuture<T>> iterator() {
        if (iterated) {
            throw new IllegalStateException("Aio.asCompleted(...) can be iterated once");
        }
        iterated = true;
        return this;
    }

    @Override
    public boolean hasNext() {
        return handedOut < total;
    }

    @Override
    public LoopFuture<T> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        loop.confinement.checkThread("asCompleted next", "Bridge.runCoroutineThreadsafe");
        handedOut++;
        LoopFuture<T> claim = loop.createFuture();
        LoopFuture<? extends T> f = done.poll();
        if (f != null) {
            Futures.forward(f, claim);
        } else if (timedOut) {
            claim.complete(null, new TimeoutException("asCompleted timed out"));
        } else {
            claims.add(claim);
        }
        return claim;
    }
}
