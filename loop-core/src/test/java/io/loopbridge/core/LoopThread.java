package io.loopbridge.core;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Test helper: runs a loop forever on its own platform thread; closing stops, joins and closes it. */
final class LoopThread implements AutoCloseable {
    final EventLoop loop;
    final Thread thread;

    LoopThread(EventLoop loop) throws InterruptedException {
        this.loop = loop;
        CountDownLatch running = new CountDownLatch(1);
        loop.callSoon(running::countDown); // allowed: the loop is not running yet
        this.thread = Thread.ofPlatform().name("loop-thread-" + loop.name()).start(loop::runForever);
        if (!running.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("loop did not start");
        }
    }

    /** Runs {@code body} on the loop and waits (bounded) for its result. */
    <T> T call(Callable<T> body) throws Exception {
        CompletableFuture<T> cf = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> {
            try {
                cf.complete(body.call());
            } catch (Throwable e) {
                cf.completeExceptionally(e);
            }
        });
        return cf.get(10, TimeUnit.SECONDS);
    }

    /** Stops the loop and waits for its thread, leaving the loop open. */
    void stop() throws InterruptedException {
        if (!loop.isClosed()) {
            loop.callSoonThreadsafe(loop::stop);
        }
        thread.join(TimeUnit.SECONDS.toMillis(10));
        if (thread.isAlive()) {
            throw new AssertionError("loop thread did not stop");
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the loop", e);
        }
        loop.close();
    }
}
