package io.loopbridge.bridge;

import io.loopbridge.core.EventLoop;

/** A standalone loop (no pool) running on its own platform thread, for tests. */
final class RunningLoop implements AutoCloseable {
    final EventLoop loop = EventLoop.create();
    final Thread thread = Thread.ofPlatform().name(loop.name() + "-thread").start(loop::runForever);

    /** Stops the loop, waits for its thread, closes it. */
    @Override
    public void close() {
        if (!loop.isClosed()) {
            try {
                loop.callSoonThreadsafe(loop::stop);
            } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
                // fine
            }
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            loop.close();
        }
        Bridge.shutdownDefaultExecutor(loop);
    }
}
