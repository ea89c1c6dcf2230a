package io.loopbridge.netty;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import io.loopbridge.testing.Waits;
import java.time.Duration;
import java.util.List;

/**
 * Test fixture: {@code asyncio.run} on a loop with Netty I/O. Runs a coroutine on a new NIO loop on the test's
 * thread (failing with a {@link java.util.concurrent.TimeoutException} after {@link Waits#SECONDS}), then cancels
 * the tasks still pending (a server's connection tasks), lets them finish, and closes the loop.
 */
final class IoLoops {
    private IoLoops() {
    }

    static <T> T run(Coroutine<T> coroutine) throws Exception {
        return run(EventLoop.builder().name("streams").io(NettyIo.nio()), coroutine);
    }

    static <T> T run(EventLoop.Builder builder, Coroutine<T> coroutine) throws Exception {
        EventLoop loop = builder.build();
        try {
            return loop.runUntilComplete(() -> Aio.withTimeout(Duration.ofSeconds(Waits.SECONDS), coroutine));
        } finally {
            try {
                List<Task<?>> pending = loop.allTasks();
                if (!pending.isEmpty()) {
                    loop.runUntilComplete(() -> {
                        pending.forEach(Task::cancel);
                        return Aio.gatherSettled(pending).await();
                    });
                }
            } finally {
                loop.close();
            }
        }
    }

    /** Yields to the loop until {@code condition} holds (bounded by the run's timeout). */
    static void until(java.util.function.BooleanSupplier condition) throws Exception {
        while (!condition.getAsBoolean()) {
            Aio.sleep(Duration.ofMillis(1));
        }
    }
}
