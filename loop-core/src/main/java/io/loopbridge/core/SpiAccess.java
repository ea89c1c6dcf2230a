package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.util.function.Function;
import java.util.function.LongConsumer;

/** loop-core's side of {@link LoopSpi}: installed by {@link EventLoop}'s static initialiser. */
final class SpiAccess implements LoopSpi.Access {
    @Override
    public EventLoop runningLoopOrNull() {
        return Confinement.runningLoopOrNull();
    }

    @Override
    public boolean inLoop(EventLoop loop) {
        return loop.confinement.inLoop();
    }

    @Override
    public void close(EventLoop loop, Throwable cause) {
        loop.closing.close(cause);
    }

    @Override
    public Throwable closeCause(EventLoop loop) {
        return loop.resources.closeCause();
    }

    @Override
    public <T> T attachment(EventLoop loop, LoopSpi.Key<T> key, Function<? super EventLoop, ? extends T> ifAbsent) {
        return loop.resources.attachment(key, ifAbsent);
    }

    @Override
    public <T> T removeAttachment(EventLoop loop, LoopSpi.Key<T> key) {
        return loop.resources.removeAttachment(key);
    }

    @Override
    public void stopAccepting(EventLoop loop) {
        loop.confinement.checkThread("stopAccepting", "callSoonThreadsafe");
        LoopIo.Driver io = loop.io;
        if (io != null) {
            io.stopAccepting();
        }
    }

    @Override
    public void ioStarted(EventLoop loop) {
        loop.stats().stepStarted();
    }

    @Override
    public void ioEnded(EventLoop loop) {
        loop.stats().stepEnded();
    }

    @Override
    public void setLagRecorder(EventLoop loop, LongConsumer recorder) {
        loop.stats().setLagRecorder(recorder);
    }
}
