package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.util.function.Function;
import java.util.function.LongConsumer;

/** loop-core's side of {@link LoopSpi}: installed by {@link EventLoop}'s static initialiser. */
final class SpiAccess implements LoopSpi.Access {
    @Override
    public EventLoop runningLoopOrNull() {
        return EventLoop.runningLoopOrNull();
    }

    @Override
    public boolean inLoop(EventLoop loop) {
        return loop.inLoop();
    }

    @Override
    public void close(EventLoop loop, Throwable cause) {
        loop.close(cause);
    }

    @Override
    public Throwable closeCause(EventLoop loop) {
        return loop.closeCause();
    }

    @Override
    public <T> T attachment(EventLoop loop, LoopSpi.Key<T> key, Function<? super EventLoop, ? extends T> ifAbsent) {
        return loop.attachment(key, ifAbsent);
    }

    @Override
    public <T> T removeAttachment(EventLoop loop, LoopSpi.Key<T> key) {
        return loop.removeAttachment(key);
    }

    @Override
    public void stopAccepting(EventLoop loop) {
        loop.checkThread("stopAccepting", "callSoonThreadsafe");
        LoopIo.Driver io = loop.io();
        if (io != null) {
            io.stopAccepting();
        }
    }

    @Override
    public void setLagRecorder(EventLoop loop, LongConsumer recorder) {
        loop.stats().setLagRecorder(recorder);
    }
}
