package io.loopbridge.netty;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopIo;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.channel.Channel;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandle;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.nio.channels.ServerSocketChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A loop's I/O ({@link LoopIo.Driver}) backed by a {@link LoopIoEventLoop}: its {@link #poll} is the Netty loop's
 * {@code run(wait)}, its {@link #wakeUp} the I/O handler's {@code wakeup()}. It wraps the I/O handler to learn
 * what Netty keeps to itself: which handles are registered (counted exactly, so a busy loop with none skips the
 * poll and its system call, and the metrics' channel gauge is current), whether someone woke it (a Netty task
 * queued from another thread), and when and for how long it processes I/O (the time for the metrics; the span
 * for the blocked-loop watchdog, which sees a channel handler that blocks the loop as it sees a callback).
 */
final class NettyDriver implements LoopIo.Driver {
    private final EventLoop loop;
    private final NettyIo io;
    private final LoopIoEventLoop netty;
    /** The registrations not yet cancelled (their handles' channels not yet closed). Loop thread only. */
    private final Set<Tracked> registered = new HashSet<>();
    /** {@code registered.size()} for other threads (metrics). */
    private volatile int registrations;
    /**
     * Set by a wake-up from another thread, and when a channel goes (its deregistration may follow as a task
     * queued from the loop's thread, which wakes nothing): Netty may have a task queued. Cleared before each poll.
     */
    private volatile boolean woken;
    /** Single writer, the loop's thread. */
    private volatile long ioNanos;
    private Thread owner;
    /** A {@link #poll} is under way. Loop thread only. */
    private boolean polling;
    /** The poll is past its wait and processing I/O: the watchdog sees the loop busy. Loop thread only. */
    private boolean processing;
    private boolean closed;

    NettyDriver(EventLoop loop, NettyIo io, IoHandlerFactory factory) {
        this.loop = loop;
        this.io = io;
        this.netty = new LoopIoEventLoop(null, loop, executor -> new CountingHandler(factory.newHandler(
                new LoopAwareExecutor(executor))));
    }

    NettyIo io() {
        return io;
    }

    LoopIoEventLoop netty() {
        return netty;
    }

    /**
     * Netty's {@code run}: the I/O handler waits, then processes the ready I/O (running the channels' handlers),
     * then Netty runs its queued tasks. From the end of the wait to the end of the tasks the loop is busy as in a
     * callback ({@link LoopSpi#ioStarted}): the handler says when its wait ended by asking whether to report the
     * time it is about to spend ({@link TimedContext#shouldReportActiveIoTime}).
     */
    @Override
    public void poll(long timeoutNanos) {
        woken = false;
        polling = true;
        try {
            // ManualIoEventLoop.run: -1 does not wait, 0 waits until woken.
            netty.run(timeoutNanos == 0 ? -1 : timeoutNanos < 0 ? 0 : timeoutNanos);
        } finally {
            polling = false;
            if (processing) {
                processing = false;
                LoopSpi.ioEnded(loop);
            }
        }
    }

    /** The I/O handler is done waiting and about to process I/O. Loop thread. */
    private void processingStarts() {
        if (polling && !processing) {
            processing = true;
            LoopSpi.ioStarted(loop);
        }
    }

    @Override
    public boolean hasWork() {
        return woken || registrations != 0 || netty.hasDueScheduledTask();
    }

    /**
     * Closes the listening channels through their own {@code Unsafe.close} (their handlers hear of it as of any
     * close). A registered handle is a channel's {@code Unsafe}: NIO's says which JDK channel it wraps; the native
     * transports' are inner classes of their channel class, which says whether it is a {@link ServerChannel}.
     */
    @Override
    public void stopAccepting() {
        for (Tracked r : List.copyOf(registered)) {
            if (r.isValid() && r.handle instanceof Channel.Unsafe unsafe && isListening(r.handle)) {
                unsafe.close(unsafe.voidPromise());
            }
        }
    }

    private static boolean isListening(IoHandle handle) {
        if (handle instanceof NioIoHandle nio) {
            return nio.selectableChannel() instanceof ServerSocketChannel;
        }
        for (Class<?> c = handle.getClass(); c != null; c = c.getSuperclass()) {
            Class<?> channel = c.getEnclosingClass();
            if (channel != null && ServerChannel.class.isAssignableFrom(channel)) {
                return true;
            }
        }
        return false;
    }

    /** A new registration of {@code handle}: counted until it is cancelled or its channel closes. Loop thread. */
    private IoRegistration track(IoHandle handle, IoRegistration registration) {
        Tracked tracked = new Tracked(handle, registration);
        registered.add(tracked);
        registrations = registered.size();
        if (handle instanceof Channel.Unsafe unsafe) {
            // io_uring cancels a closed channel's registration itself once its last operation completes, past
            // this wrapper; the close is when the channel is gone for its user anyway.
            unsafe.voidPromise().channel().closeFuture().addListener(f -> tracked.gone());
        }
        return tracked;
    }

    /**
     * A registration as the channel sees it (the I/O handler keeps its own): its first {@link #cancel()}, or its
     * channel's close, takes it off the count.
     */
    private final class Tracked implements IoRegistration {
        final IoHandle handle;
        private final IoRegistration delegate;
        /** Set, on the loop's thread, when it leaves {@link #registered}. */
        private boolean gone;

        Tracked(IoHandle handle, IoRegistration delegate) {
            this.handle = handle;
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            return delegate.submit(ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            boolean cancelled = delegate.cancel();
            gone();
            return cancelled;
        }

        /** Off the count, once: now on the loop's thread (or one of its coroutines), else as a Netty task. */
        void gone() {
            if (!netty.inEventLoop()) {
                try {
                    netty.execute(this::gone);
                } catch (RejectedExecutionException shutDown) {
                    // the Netty loop is closing: close() clears the count
                }
                return;
            }
            if (!gone) {
                gone = true;
                registered.remove(this);
                registrations = registered.size();
                woken = true;
            }
        }
    }

    @Override
    public void wakeUp() {
        netty.wakeup();
    }

    @Override
    public void checkCanClose() {
        Thread current = Thread.currentThread();
        if (owner != null && owner != current) {
            throw new IllegalStateException("Event loop '" + loop.name() + "' does I/O on thread '" + owner.getName()
                    + "', which first ran it; close it on that thread (its channels can only be closed there)");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        bind(Thread.currentThread());
        netty.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
        // Closes every channel (their handlers run here), runs Netty's remaining tasks, releases the selector.
        while (!netty.isTerminated()) {
            netty.runNow();
        }
        registered.clear();
        registrations = 0;
    }

    @Override
    public long ioNanos() {
        return ioNanos;
    }

    @Override
    public int registrations() {
        return registrations;
    }

    @Override
    public void bind(Thread current) {
        if (owner == current) {
            return;
        }
        if (owner != null) {
            throw new IllegalStateException("Event loop '" + loop.name() + "' does I/O and stays on thread '"
                    + owner.getName() + "', which first ran it; it cannot run on '" + current.getName()
                    + "'. Run it on one thread (a LoopPool does)");
        }
        netty.setOwningThread(current);
        owner = current;
    }

    /** The I/O handler, watched. */
    private final class CountingHandler implements IoHandler {
        private final IoHandler delegate;
        private final TimedContext context = new TimedContext();

        CountingHandler(IoHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public void initialize() {
            delegate.initialize();
        }

        @Override
        public int run(IoHandlerContext ctx) {
            context.inner = ctx;
            return delegate.run(context);
        }

        @Override
        public void prepareToDestroy() {
            delegate.prepareToDestroy();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return track(handle, delegate.register(handle));
        }

        @Override
        public void wakeup() {
            woken = true;
            delegate.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }

    /** The handler's view of the Netty loop's context, asking it to report the time it spends on I/O. */
    private final class TimedContext implements IoHandlerContext {
        IoHandlerContext inner;

        @Override
        public boolean canBlock() {
            return inner.canBlock();
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return inner.delayNanos(currentTimeNanos);
        }

        @Override
        public long deadlineNanos() {
            return inner.deadlineNanos();
        }

        /** Asked by every Netty I/O handler right after its wait, before it processes the ready I/O. */
        @Override
        public boolean shouldReportActiveIoTime() {
            processingStarts();
            return true;
        }

        @Override
        public void reportActiveIoTime(long activeNanos) {
            ioNanos = ioNanos + activeNanos; // single writer
        }
    }

    /**
     * The executor the I/O handler is told it runs on: a coroutine step of the loop counts as the executor's thread
     * (see {@link LoopIoEventLoop#inEventLoop()}), so a handler's wakeup from a coroutine makes no system call.
     */
    private final class LoopAwareExecutor implements ThreadAwareExecutor {
        private final ThreadAwareExecutor delegate;

        LoopAwareExecutor(ThreadAwareExecutor delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean isExecutorThread(Thread thread) {
            return delegate.isExecutorThread(thread) || (thread == Thread.currentThread() && LoopSpi.inLoop(loop));
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(command);
        }
    }
}
