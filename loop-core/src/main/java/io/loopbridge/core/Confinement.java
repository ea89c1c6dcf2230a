package io.loopbridge.core;

import java.util.concurrent.RejectedExecutionException;

/**
 * Which thread a loop belongs to, and whether it is still open: the thread running it, the coroutine step it
 * runs now, the loop running on each thread, and the checks every loop-thread-only method makes (asyncio's
 * {@code _check_closed}, {@code _check_running}, and the thread check asyncio makes in debug mode only).
 * Read from any thread; written by the thread running the loop, and by {@link EventLoop#close()}.
 */
final class Confinement {
    /** The loop running on this thread: on a loop's own thread, and on its tasks' virtual threads. */
    private static final ThreadLocal<EventLoop> RUNNING = new ThreadLocal<>();

    private final EventLoop loop;
    /** The thread running the loop, or null when it is not running. */
    volatile Thread thread;
    /** The task whose coroutine step is running now, or null. Loop thread only (the watchdog reads it racily). */
    Task<?> currentTask;
    /** Set once by close(); the inbox refuses submissions from then on. */
    volatile boolean closed;

    Confinement(EventLoop loop) {
        this.loop = loop;
    }

    /** The loop running on the calling thread (its own thread, or one of its coroutines), or null. */
    static EventLoop runningLoopOrNull() {
        // The task first: asking a ThreadLocal on a task's virtual thread would allocate its map.
        Task<?> task = Task.currentOrNull();
        return task != null ? task.loop : RUNNING.get();
    }

    /** asyncio's {@code _check_closed} and {@code _check_running}. */
    void checkCanRun() {
        checkOpen();
        Thread owner = thread;
        if (owner != null) {
            throw new IllegalStateException("Event loop '" + loop.name() + "' is already running (on thread '"
                    + owner.getName() + "')" + (Task.currentOrNull() != null ? "; inside a coroutine use future.await()" : ""));
        }
        EventLoop other = runningLoopOrNull();
        if (other != null) {
            throw new IllegalStateException("Cannot run event loop '" + loop.name() + "' while loop '" + other.name()
                    + "' is running on this thread" + (Task.currentOrNull() != null ? " (inside a coroutine: use await)" : ""));
        }
    }

    /** The calling thread, which is to run the loop: a platform thread, else a clear error. */
    Thread platformThread() {
        Thread current = Thread.currentThread();
        if (current.isVirtual()) {
            throw new IllegalStateException("Event loop '" + loop.name() + "' cannot run on a virtual thread ("
                    + current + "): its tasks are virtual threads scheduled by the loop's own platform thread."
                    + " Run it on a platform thread, e.g. Thread.ofPlatform() or a LoopPool.");
        }
        return current;
    }

    /** {@code current} starts running the loop. */
    void enter(Thread current) {
        thread = current;
        RUNNING.set(loop);
    }

    /** The running thread stops running the loop. */
    void exit() {
        RUNNING.remove();
        thread = null;
    }

    /** Whether the caller is this loop's thread, or a coroutine step this loop is running. */
    boolean inLoop() {
        Thread cur = Thread.currentThread();
        if (cur == thread) {
            return true;
        }
        Task<?> task = currentTask;
        return task != null && task.thread == cur;
    }

    /**
     * Fails fast when a loop-thread-only method is called from elsewhere while the loop runs. One volatile
     * read and one comparison on the right thread.
     */
    void checkThread(String method, String alternative) {
        Thread owner = thread;
        if (owner != null && owner != Thread.currentThread() && !inLoop()) {
            Task<?> caller = Task.currentOrNull(); // a task of another loop: its thread has no name of its own
            throw new IllegalStateException(method + "() called from " + (caller != null ? "task '" + caller.getName()
                    : "thread '" + Thread.currentThread().getName()) + "' but event loop '" + loop.name() + "' runs on '" + owner.getName() + "'; from other threads use "
                    + alternative);
        }
    }

    void checkOpen() {
        if (closed) {
            throw rejected();
        }
    }

    RejectedExecutionException rejected() {
        return new RejectedExecutionException("Event loop '" + loop.name() + "' is closed");
    }
}
