package io.loopbridge.core;

import java.util.Arrays;

/**
 * A binary min-heap of timers ordered by deadline, then scheduling order. Each timer knows its index,
 * so cancelling removes it in O(log n), and the array shrinks when a quarter full: a loop that schedules and
 * cancels millions of timers holds at most four slots per live timer (asyncio instead compacts once more
 * than half of its heap is cancelled).
 * Loop thread only.
 */
final class TimerQueue {
    private static final int MIN_CAPACITY = 64;

    private TimerHandle[] heap = new TimerHandle[MIN_CAPACITY];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    TimerHandle peek() {
        return size == 0 ? null : heap[0];
    }

    void add(TimerHandle t) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        siftUp(size++, t);
    }

    TimerHandle poll() {
        TimerHandle first = heap[0];
        removeAt(0);
        return first;
    }

    void remove(TimerHandle t) {
        int i = t.heapIndex;
        if (i >= 0 && i < size && heap[i] == t) {
            removeAt(i);
        }
    }

    /** Empties the queue. Reads nothing it does not need: a dead loop's heap may be mid-edit. */
    void clear() {
        TimerHandle[] h = heap;
        for (int i = 0; i < h.length; i++) {
            if (h[i] != null) {
                h[i].heapIndex = -1;
                h[i] = null;
            }
        }
        size = 0;
    }

    /** The heap array's length: what the queue holds on to, live timers or not. */
    int capacity() {
        return heap.length;
    }

    private void removeAt(int i) {
        TimerHandle removed = heap[i];
        removed.heapIndex = -1;
        TimerHandle last = heap[--size];
        heap[size] = null;
        if (i < size) {
            siftDown(i, last);
            if (heap[i] == last) {
                siftUp(i, last);
            }
        }
        if (size < heap.length >>> 2 && heap.length > MIN_CAPACITY) {
            // Give back what a burst of timers left behind; halving at a quarter keeps it amortised O(1).
            heap = Arrays.copyOf(heap, heap.length >>> 1);
        }
    }

    private void siftUp(int i, TimerHandle t) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            TimerHandle p = heap[parent];
            if (!t.runsBefore(p)) {
                break;
            }
            place(i, p);
            i = parent;
        }
        place(i, t);
    }

    private void siftDown(int i, TimerHandle t) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && heap[right].runsBefore(heap[child])) {
                child = right;
            }
            if (!heap[child].runsBefore(t)) {
                break;
            }
            place(i, heap[child]);
            i = child;
        }
        place(i, t);
    }

    private void place(int i, TimerHandle t) {
        heap[i] = t;
        t.heapIndex = i;
    }
}
