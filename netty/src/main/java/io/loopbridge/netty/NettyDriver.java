package io.loopbridge.netty;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopIo;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.channel.Channel;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandle;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A loop's I/O ({@link LoopIo.Driver}) backed by a {@link LoopIoEventLoop}: its {@link #poll} is the Netty loop's
 * {@code run(wait)}, its {@link #wakeUp} the I/O handler's {@code wakeup()}. It wraps the I/O handler to learn
 * three things Netty keeps to itself: which handles are registered (so a busy loop with none skips the poll and
 * its system call), whether someone woke it (a Netty task queued from another thread), and the time spent
 * processing I/O.
 */
final class NettyDriver implements LoopIo.Driver {
    /** Registrations are pruned of invalid ones every this many polls (they are counted, not tracked, otherwise). */
    private static final int PRUNE_EVERY = 64;

    private final EventLoop loop;
    private final NettyIo io;
    private final LoopIoEventLoop netty;
    /** Registered handles, loop thread only; pruned of closed ones now and then. */
    private final ArrayList<Registered> registered = new ArrayList<>();
    /** {@code registered.size()} for other threads (metrics). */
    private volatile int registrations;
    /** Set by a wake-up from another thread: Netty may have a task queued. Cleared before each poll. */
    private volatile boolean woken;
    /** Single writer, the loop's thread. */
    private volatile long ioNanos;
    private Thread owner;
    private int pollsSincePrune;
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

    @Override
    public void poll(long timeoutNanos) {
        woken = false;
        // ManualIoEventLoop.run: -1 does not wait, 0 waits until woken.
        netty.run(timeoutNanos == 0 ? -1 : timeoutNanos < 0 ? 0 : timeoutNanos);
        if (++pollsSincePrune >= PRUNE_EVERY) {
            pollsSincePrune = 0;
            registered.removeIf(r -> !r.registration().isValid());
            registrations = registered.size();
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
        for (Registered r : List.copyOf(registered)) {
            if (r.registration().isValid() && r.handle() instanceof Channel.Unsafe unsafe && isListening(r.handle())) {
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

    private record Registered(IoHandle handle, IoRegistration registration) {
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
            IoRegistration r = delegate.register(handle);
            registered.add(new Registered(handle, r));
            registrations = registered.size();
            return r;
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

        @Override
        public boolean shouldReportActiveIoTime() {
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
