package io.loopbridge.core.sync;

import io.loopbridge.core.LoopFuture;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Comparator;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;

/**
 * A queue for producer and consumer tasks of one loop: {@code asyncio.Queue}, {@code LifoQueue} and
 * {@code PriorityQueue}. {@link #put} suspends while the queue is full, {@link #get} while it is empty;
 * {@link #taskDone()} and {@link #join()} count items through to their processing. A maximum size of zero
 * or less means unbounded. Null items are refused.
 *
 * <p>A task cancelled while waiting in {@code put} or {@code get} loses nothing and strands no one: a
 * wake-up meant for it (a free slot, an item) is passed on to the next waiter. As in asyncio, a waiter that
 * was woken but has not resumed yet can be overtaken by a newcomer (it then waits again).
 *
 * <p>Thread-safety: loop thread only (its tasks and callbacks); bound to the first loop that makes a task
 * wait on it. {@code putNowait} may fill a queue before its loop runs.
 *
 * @param <E> the item type
 */
public final class LoopQueue<E> extends LoopBound {
    private final Queue<E> items;
    private final int maxSize;
    private final ArrayDeque<LoopFuture<Void>> getters = new ArrayDeque<>();
    private final ArrayDeque<LoopFuture<Void>> putters = new ArrayDeque<>();
    private final LoopEvent finished = new LoopEvent();
    private int unfinishedTasks;

    private LoopQueue(Queue<E> items, int maxSize) {
        this.items = items;
        this.maxSize = maxSize;
        finished.set();
    }

    /** First in, first out: {@code asyncio.Queue(maxsize)}. */
    public static <E> LoopQueue<E> fifo(int maxSize) {
        return new LoopQueue<>(new ArrayDeque<>(), maxSize);
    }

    /** Last in, first out: {@code asyncio.LifoQueue(maxsize)}. */
    public static <E> LoopQueue<E> lifo(int maxSize) {
        return new LoopQueue<>(Collections.asLifoQueue(new ArrayDeque<>()), maxSize);
    }

    /**
     * Smallest first by {@code order} (null: natural order); equal items in no particular order:
     * {@code asyncio.PriorityQueue(maxsize)}.
     */
    public static <E> LoopQueue<E> priority(int maxSize, Comparator<? super E> order) {
        return new LoopQueue<>(new PriorityQueue<>(order), maxSize);
    }

    /** {@code Queue.qsize()}. */
    public int size() {
        return items.size();
    }

    /** {@code Queue.maxsize}: zero or less means unbounded. */
    public int maxSize() {
        return maxSize;
    }

    /** {@code Queue.empty()}. */
    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** {@code Queue.full()}: never true for an unbounded queue. */
    public boolean isFull() {
        return maxSize > 0 && items.size() >= maxSize;
    }

    /**
     * Adds {@code item}, suspending the current task while the queue is full: {@code Queue.put()}. Only
     * inside a coroutine (or anywhere, when it does not need to wait).
     */
    public void put(E item) throws Exception {
        Objects.requireNonNull(item, "item");
        checkLoop();
        while (isFull()) {
            LoopFuture<Void> putter = newWaiter();
            putters.add(putter);
            try {
                putter.await();
            } catch (Throwable t) {
                putter.cancel(); // in case it is not done yet
                putters.remove(putter); // a getNowait() may have removed it already
                if (!isFull() && !putter.isCancelled()) {
                    wakeUpNext(putters); // we were given the free slot but cannot take it: pass it on
                }
                throw t;
            }
        }
        putNowait(item);
    }

    /**
     * Adds {@code item} without waiting: {@code Queue.put_nowait()}.
     *
     * @throws QueueFullException if the queue is full
     */
    public void putNowait(E item) {
        Objects.requireNonNull(item, "item");
        checkLoop();
        if (isFull()) {
            throw new QueueFullException("queue is full (maxSize " + maxSize + ")");
        }
        items.add(item);
        unfinishedTasks++;
        finished.clear();
        wakeUpNext(getters);
    }

    /** Removes and returns the next item, suspending the current task while the queue is empty: {@code Queue.get()}. */
    public E get() throws Exception {
        checkLoop();
        while (isEmpty()) {
            LoopFuture<Void> getter = newWaiter();
            getters.add(getter);
            try {
                getter.await();
            } catch (Throwable t) {
                getter.cancel(); // in case it is not done yet
                getters.remove(getter); // a putNowait() may have removed it already
                if (!isEmpty() && !getter.isCancelled()) {
                    wakeUpNext(getters); // we were woken for an item but cannot take it: pass it on
                }
                throw t;
            }
        }
        return getNowait();
    }

    /**
     * Removes and returns the next item without waiting: {@code Queue.get_nowait()}.
     *
     * @throws QueueEmptyException if the queue is empty
     */
    public E getNowait() {
        checkLoop();
        E item = items.poll();
        if (item == null) {
            throw new QueueEmptyException("queue is empty");
        }
        wakeUpNext(putters);
        return item;
    }

    /**
     * Marks one item taken by {@code get} as processed; when every item put has been, {@link #join()}
     * returns: {@code Queue.task_done()}.
     *
     * @throws IllegalStateException if called more times than items were put
     */
    public void taskDone() {
        checkLoop();
        if (unfinishedTasks <= 0) {
            throw new IllegalStateException("taskDone() called too many times");
        }
        if (--unfinishedTasks == 0) {
            finished.set();
        }
    }

    /** Suspends until every item put has been marked {@link #taskDone()}: {@code Queue.join()}. */
    public void join() throws Exception {
        checkLoop();
        if (unfinishedTasks > 0) {
            finished.await();
        }
    }

    /** Wakes the first waiter not yet done, dropping it from the queue of waiters. */
    private static void wakeUpNext(ArrayDeque<LoopFuture<Void>> waiters) {
        LoopFuture<Void> waiter;
        while ((waiter = waiters.poll()) != null && !waiter.trySetResult(null)) {
            // a cancelled waiter: try the next
        }
    }

    @Override
    public String toString() {
        return "LoopQueue[size=" + items.size() + ", maxSize=" + maxSize + (getters.isEmpty() ? "" : ", getters:"
                + getters.size()) + (putters.isEmpty() ? "" : ", putters:" + putters.size()) + ", tasks="
                + unfinishedTasks + "]";
    }
}
