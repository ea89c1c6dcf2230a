package io.loopbridge.core;

/**
 * I/O that an event loop drives from its own thread: asyncio's selector. An idle loop with I/O waits in
 * {@link Driver#poll} (select, epoll_wait: the next timer's deadline is the timeout) instead of parking its
 * thread, and a thread-safe submission wakes it through {@link Driver#wakeUp}. loop-core knows only this
 * interface; {@code io.loopbridge.netty} implements it with a Netty {@code ManualIoEventLoop}
 * ({@code NettyIo.nio()}). A user passes one to {@link EventLoop.Builder#io} and never calls its methods.
 *
 * <p>Where I/O sits in an iteration ({@code _run_once}): first the wait, or, when the loop is busy, a poll
 * that does not wait (skipped, with its system call, while {@link Driver#hasWork} says there is nothing to
 * poll); the I/O callbacks run in it, as asyncio's {@code _process_events} runs right after the select.
 * Then the thread-safe submissions are taken, then the due timers, then the ready callbacks run. Unlike
 * asyncio, whose selector callbacks are queued behind the callbacks already ready, Netty runs a channel's
 * handlers while it processes the selected keys, so they run before the ready callbacks of that iteration.
 */
public interface LoopIo {
    /** The driver of {@code loop}'s I/O. Called once, by {@link EventLoop.Builder#build()}. */
    Driver open(EventLoop loop);

    /** One loop's I/O. Called by the loop only; each method says from which thread. */
    interface Driver {
        /**
         * The loop is about to run on {@code thread}, which from then on is the one that polls and closes.
         *
         * @throws IllegalStateException if the I/O belongs to another thread (the message names it)
         */
        void bind(Thread thread);

        /**
         * Waits up to {@code timeoutNanos} for I/O or a {@link #wakeUp} ({@code 0}: does not wait; negative: until
         * woken), then runs the ready I/O callbacks and the I/O layer's own tasks, announcing that span (not the
         * wait) with {@link io.loopbridge.core.spi.LoopSpi#ioStarted}/{@code ioEnded} so that the blocked-loop
         * watchdog sees a handler that blocks. The bound thread.
         */
        void poll(long timeoutNanos);

        /** Whether a poll that does not wait may find something to do; false lets a busy loop skip it. The loop's thread. */
        boolean hasWork();

        /**
         * The loop's owner is shutting it down gracefully: stop accepting connections (close the listening
         * channels); the connections already open stay until their work is done or the loop closes. The loop's
         * thread.
         */
        void stopAccepting();

        /** Makes the current poll, or the next, return promptly. Any thread. */
        void wakeUp();

        /**
         * Fails if this thread cannot close the I/O, before the loop changes any state: the closing thread's
         * check for {@link EventLoop#close()}.
         *
         * @throws IllegalStateException naming the thread that can
         */
        void checkCanClose();

        /** Closes every channel and releases the selector. Once, from {@link EventLoop#close()}. */
        void close();

        /** Nanoseconds spent processing I/O so far (not waiting for it). Any thread. */
        long ioNanos();

        /** Channels (and other I/O handles) registered now. Any thread. */
        int registrations();
    }
}
