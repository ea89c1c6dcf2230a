package io.loopbridge.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * The future {@link Aio#gather} and {@link Aio#gatherSettled} return: asyncio's {@code _GatheringFuture}.
 *
 * <p>Cancelling it cancels every child not yet done; it then ends once its children let it (see
 * {@link #cancel(String)}) and, unlike CPython, it ends <em>cancelled</em>: CPython leaves it "finished with
 * a CancelledError as its exception" ({@code cancelled()} is false), a state our {@link LoopFuture} does not
 * allow (setException refuses a cancellation). Awaiters see a {@link CancellationException} either way.
 *
 * @param <R> the element type: the children's value type, or {@link Outcome} when settled
 */
final class Gather<R> extends LoopFuture<List<R>> {
    /** In argument order; a future given twice appears twice but is watched once. */
    private final LoopFuture<?>[] children;
    private final boolean settled;
    /** Distinct children not yet done. */
    private int remaining;
    /** {@code _cancel_requested}: this gather was cancelled and some child took the request. */
    private boolean cancelRequested;

    private Gather(EventLoop loop, LoopFuture<?>[] children, boolean settled) {
        super(loop);
        this.children = children;
        this.settled = settled;
    }

    /** {@link #of(Collection, boolean)} of a varargs array (read, never kept). */
    static <R> LoopFuture<List<R>> of(Object[] futuresOrCoroutines, boolean settled) {
        return of(Arrays.asList(futuresOrCoroutines), settled);
    }

    /** Gathers futures and coroutines (each coroutine becomes a task on the loop). */
    static <R> LoopFuture<List<R>> of(Collection<?> futuresOrCoroutines, boolean settled) {
        Objects.requireNonNull(futuresOrCoroutines, "futures");
        EventLoop loop = null;
        for (Object o : futuresOrCoroutines) {
            if (o instanceof LoopFuture<?> f) {
                loop = f.loop; // asyncio takes the loop of the first future
                break;
            }
        }
        if (loop == null) {
            loop = Aio.getRunningLoop();
        }
        loop.confinement.checkThread("gather", "Bridge.runCoroutineThreadsafe(() -> Aio.gather(...).await(), loop)");
        if (futuresOrCoroutines.isEmpty()) {
            LoopFuture<List<R>> empty = loop.createFuture();
            empty.setResult(new ArrayList<>());
            return empty;
        }
        LoopFuture<?>[] children = new LoopFuture<?>[futuresOrCoroutines.size()];
        int i = 0;
        for (Object o : futuresOrCoroutines) {
            children[i++] = toFuture(loop, o);
        }
        Gather<R> gather = new Gather<>(loop, children, settled);
        Set<LoopFuture<?>> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        Collections.addAll(distinct, children);
        gather.remaining = distinct.size();
        Consumer<LoopFuture<?>> onChildDone = gather::childDone;
        for (LoopFuture<?> child : distinct) {
            child.addDoneCallback(onChildDone);
        }
        return gather;
    }

    private static LoopFuture<?> toFuture(EventLoop loop, Object o) {
        if (o instanceof LoopFuture<?> f) {
            if (f.loop != loop) {
                throw new IllegalArgumentException("futures of gather() must share one loop; " + f
                        + " belongs to '" + f.loop.name() + "', not '" + loop.name() + "'");
            }
            return f;
        }
        if (o instanceof Coroutine<?> c) {
            return loop.createTask(c);
        }
        throw new IllegalArgumentException("gather() takes LoopFutures and Coroutines, not " + o);
    }

    /** asyncio's {@code _done_callback} of gather. */
    private void childDone(LoopFuture<?> child) {
        remaining--;
        if (isDone()) {
            if (!child.isCancelled()) {
                child.exception(); // its failure has been passed on (or lost to an earlier one): retrieved
            }
            return;
        }
        if (!settled) {
            if (child.isCancelled()) {
                cancelWith(cancelledBy(child));
                return;
            }
            Throwable error = child.exception();
            if (error != null) {
                complete(null, error); // the others keep running: gather does not cancel them
                return;
            }
        }
        if (remaining == 0) {
            if (cancelRequested) {
                cancelWith(cancelledBy(child));
                return;
            }
            List<Object> results = new ArrayList<>(children.length);
            for (LoopFuture<?> c : children) {
                results.add(settled ? Outcome.of(c) : Futures.value(c));
            }
            @SuppressWarnings("unchecked")
            List<R> typed = (List<R>) results;
            complete(typed, null);
        }
    }

    /** A fresh cancellation carrying the child's message, its cause the child's own. */
    private static CancellationException cancelledBy(LoopFuture<?> child) {
        String message = null;
        CancellationException cause = null;
        if (child.isCancelled()) {
            cause = Futures.cancellation(child);
            message = cause.getMessage();
        }
        CancellationException ce = new CancellationException(message);
        ce.initCause(cause);
        return ce;
    }

    /**
     * Cancels every child not yet done and returns whether any took the request; the gather itself stays
     * pending until its children let it end, then ends cancelled, even if a child swallowed its
     * cancellation (asyncio's {@code _GatheringFuture.cancel}). Returns false if already done. Loop thread only.
     */
    @Override
    public boolean cancel(String message) {
        loop.confinement.checkThread("cancel", "loop.callSoonThreadsafe(future::cancel)");
        if (isDone()) {
            return false;
        }
        boolean any = false;
        for (LoopFuture<?> child : children) {
            if (child.cancel(message)) {
                any = true;
            }
        }
        if (any) {
            cancelRequested = true;
        }
        return any;
    }
}
