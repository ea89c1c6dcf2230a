package io.loopbridge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The pending tasks of one loop, as an intrusive doubly linked list: adding and removing cost no lock and
 * no allocation. Loop thread only.
 */
final class TaskRegistry {
    private Task<?> head;
    private int size;

    void add(Task<?> t) {
        t.next = head;
        if (head != null) {
            head.prev = t;
        }
        head = t;
        size++;
    }

    void remove(Task<?> t) {
        if (t.prev == null && head != t) {
            return; // not registered (already removed)
        }
        if (t.prev != null) {
            t.prev.next = t.next;
        } else {
            head = t.next;
        }
        if (t.next != null) {
            t.next.prev = t.prev;
        }
        t.prev = t.next = null;
        size--;
    }

    int size() {
        return size;
    }

    /** The tasks, oldest first. */
    List<Task<?>> snapshot() {
        ArrayList<Task<?>> list = new ArrayList<>(size);
        for (Task<?> t = head; t != null; t = t.next) {
            list.add(t);
        }
        return list.reversed();
    }

    /** Empties the registry and returns what it held. */
    List<Task<?>> drain() {
        List<Task<?>> all = snapshot();
        for (Task<?> t : all) {
            t.prev = t.next = null;
        }
        head = null;
        size = 0;
        return all;
    }
}
