package io.loopbridge.netty;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ManualIoEventLoop;

/**
 * The Netty side of a loop with I/O: a {@link ManualIoEventLoop} that the loop's thread drives, bound to the
 * first thread that polls it. A coroutine step of the loop counts as the loop's thread ({@link #inEventLoop()}):
 * the loop's thread is blocked while a step runs (it is the step's carrier, or waits for its handoff), so a
 * handler called from a coroutine runs at once instead of being queued as a Netty task and woken with a system
 * call.
 */
final class LoopIoEventLoop extends ManualIoEventLoop {
    private final EventLoop loop;

    LoopIoEventLoop(IoEventLoopGroup parent, EventLoop loop, IoHandlerFactory factory) {
        super(parent, null, factory);
        this.loop = loop;
    }

    /** The loop this Netty loop belongs to. */
    EventLoop loop() {
        return loop;
    }

    @Override
    public boolean inEventLoop() {
        return inEventLoop(Thread.currentThread()) || LoopSpi.inLoop(loop);
    }

    /** Whether a task scheduled through Netty ({@code schedule}) is due. The loop's thread. */
    boolean hasDueScheduledTask() {
        return hasScheduledTasks();
    }

    @Override
    public String toString() {
        return "LoopIoEventLoop[" + loop.name() + "]";
    }
}
