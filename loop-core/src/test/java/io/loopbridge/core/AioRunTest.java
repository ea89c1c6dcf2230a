package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code Aio.run} as {@code asyncio.run}, and what closing a loop does to the tasks still pending. */
@Timeout(30)
class AioRunTest {

    @Test
    void returnsTheResultOrThrowsTheSameExceptionAndClosesTheLoop() throws Exception {
        AtomicReference<EventLoop> loop = new AtomicReference<>();
        assertThat(Aio.run(() -> {
            loop.set(Aio.getRunningLoop());
            return Aio.sleep(Duration.ofMillis(1), "r");
        })).isEqualTo("r");
        assertThat(loop.get().isClosed()).isTrue();
        assertThat(loop.get().isRunning()).isFalse();

        IOException boom = new IOException("boom");
        assertThat(catchThrowable(() -> Aio.run(() -> {
            loop.set(Aio.getRunningLoop());
            Aio.sleep(Duration.ZERO);
            throw boom;
        }))).isSameAs(boom);
        assertThat(loop.get().isClosed()).isTrue();
        assertThatThrownBy(Aio::getRunningLoop).isInstanceOf(IllegalStateException.class);
    }

    /*
     * async def child(): return 'c'
     * f = get_running_loop().create_future(); ensure_future(f) is f -> True
     * t = ensure_future(child()); type(t).__name__, await t -> 'Task', 'c'
     * ensure_future(42) -> TypeError: An asyncio.Future, a coroutine or an awaitable is required
     */
    @Test
    void ensureFutureKeepsAFutureAndMakesACoroutineATaskOnTheRunningLoop() throws Exception {
        Aio.run(() -> {
            LoopFuture<String> f = Aio.getRunningLoop().createFuture();
            assertThat(Aio.ensureFuture(f)).isSameAs(f);
            Task<String> t = Aio.ensureFuture(() -> "c");
            assertThat(t.getLoop()).isSameAs(Aio.getRunningLoop());
            assertThat(t.await()).isEqualTo("c");
            Object mixed = (Coroutine<String>) () -> "m";
            assertThat(Aio.ensureFuture(mixed).await()).isEqualTo("m");
            assertThat(Aio.ensureFuture((Object) f)).isSameAs(f);
            assertThatThrownBy(() -> Aio.ensureFuture((Object) 42)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("A LoopFuture or a Coroutine is required, not java.lang.Integer");
            return null;
        });
        assertThatThrownBy(() -> Aio.ensureFuture(() -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
    }

    /** The README's {@code async with} example, as written there. */
    record Lease(io.loopbridge.core.sync.LoopSemaphore permits) implements AutoCloseable {
        static Lease acquire(io.loopbridge.core.sync.LoopSemaphore permits) throws Exception {
            permits.acquire();
            return new Lease(permits);
        }

        @Override
        public void close() throws Exception {
            Aio.sleep(Duration.ZERO);
            permits.release();
        }
    }

    /*
     * @asynccontextmanager
     * async def lease(sem): await sem.acquire(); try: yield finally: await asyncio.sleep(0); sem.release()
     * async def u1(): async with lease(sem): log.append('in 1'); await asyncio.sleep(0.01)
     *                 log.append('out 1')
     * async def u2(): async with lease(sem): log.append('in 2')
     * sem = Semaphore(1); await gather(u1(), u2())  -> ['in 1', 'out 1', 'in 2']
     */
    @Test
    void tryWithResourcesIsAsyncWithACloseThatAwaits() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            var permits = new io.loopbridge.core.sync.LoopSemaphore(1);
            Coroutine<Void> user1 = () -> {
                try (Lease lease = Lease.acquire(permits)) {
                    log.add("in 1");
                    Aio.sleep(Duration.ofMillis(10));
                }
                log.add("out 1");
                return null;
            };
            Coroutine<Void> user2 = () -> {
                try (Lease lease = Lease.acquire(permits)) {
                    log.add("in 2");
                }
                return null;
            };
            return Aio.gather(user1, user2).await();
        });
        assertThat(log).containsExactly("in 1", "out 1", "in 2");
    }

    /*
     * async def bg(): try: await sleep(3600) finally: log "finally"; await sleep(0.001); log "cleaned"
     * async def never(): log "never ran"
     * async def bad(): try: await sleep(3600) except CancelledError: raise ValueError("in shutdown")
     * main: handler logs; t = create_task(bg()); b = create_task(bad()); await sleep(0); n = create_task(never())
     *       return "r"
     * -> r ['never ran', 'finally', 'cleaned',
     *       ('handler', 'unhandled exception during asyncio.run() shutdown', "ValueError('in shutdown')")]
     *    t.cancelled() True, n.cancelled() False, b.exception() in shutdown
     */
    @Test
    void cancelsTheRemainingTasksAndWaitsForThemLikeAsyncioRun() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        List<Task<?>> tasks = new ArrayList<>();
        String r = Aio.run(() -> {
            Aio.getRunningLoop().setExceptionHandler((l, ctx) ->
                    log.add("handler " + ctx.message() + " " + ctx.exception().getMessage()));
            tasks.add(Aio.createTask(() -> {
                try {
                    return Aio.sleep(Duration.ofHours(1), null);
                } finally {
                    log.add("finally");
                    Aio.sleep(Duration.ofMillis(1)); // a cleanup may still await: the loop still runs
                    log.add("cleaned");
                }
            }));
            tasks.add(Aio.createTask(() -> {
                try {
                    return Aio.sleep(Duration.ofHours(1), null);
                } catch (java.util.concurrent.CancellationException e) {
                    throw new IllegalStateException("in shutdown");
                }
            }));
            Aio.sleep(Duration.ZERO);
            tasks.add(Aio.createTask(() -> log.add("never ran")));
            return "r";
        });
        assertThat(r).isEqualTo("r");
        assertThat(log).containsExactly("never ran", "finally", "cleaned",
                "handler unhandled exception during Aio.run() shutdown in shutdown");
        assertThat(tasks.get(0).isCancelled()).isTrue();
        assertThat(tasks.get(1).exception()).hasMessage("in shutdown");
        assertThat(tasks.get(2).isCancelled()).isFalse();
        for (Task<?> t : tasks) {
            assertThat(t.thread.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void insideARunningLoopItFailsClearly() throws Exception {
        Throwable inCoroutine = Aio.run(() -> catchThrowable(() -> Aio.run(() -> "inner")));
        assertThat(inCoroutine).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be called from a running event loop");

        EventLoop loop = EventLoop.create();
        try {
            LoopFuture<Throwable> inCallback = loop.createFuture();
            loop.callSoon(() -> inCallback.setResult(catchThrowable(() -> Aio.run(() -> "inner"))));
            assertThat(loop.runUntilComplete(inCallback)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot be called from a running event loop");
            // And loop.runUntilComplete from inside a coroutine: use await.
            Throwable nested = loop.runUntilComplete(() -> catchThrowable(() -> loop.runUntilComplete(() -> "x")));
            assertThat(nested).isInstanceOf(IllegalStateException.class).hasMessageContaining("await");
        } finally {
            loop.close();
        }
    }

    /** A loop needs a platform thread: on a virtual thread Aio.run and runUntilComplete fail clearly. */
    @Test
    void onAVirtualThreadItFailsWithAClearMessageAndRunsNothing() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        AtomicReference<Throwable> fromRunUntilComplete = new AtomicReference<>();
        EventLoop loop = EventLoop.builder().exceptionHandler((l, ctx) -> reports.add(ctx)).build();
        try {
            Thread vt = Thread.ofVirtual().start(() -> {
                fromRun.set(catchThrowable(() -> Aio.run(() -> ran.add("coroutine"))));
                LoopFuture<String> f = loop.createFuture();
                fromRunUntilComplete.set(catchThrowable(() -> loop.runUntilComplete(f)));
            });
            assertThat(vt.join(Duration.ofSeconds(10))).isTrue();
            assertThat(fromRun.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("virtual thread").hasMessageContaining("platform thread");
            assertThat(fromRunUntilComplete.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("virtual thread");
            assertThat(ran).isEmpty();
            assertThat(loop.isRunning()).isFalse();
            // The loop is still usable from a platform thread.
            assertThat(loop.runUntilComplete(() -> "ok")).isEqualTo("ok");
            assertThat(reports).isEmpty();
        } finally {
            loop.close();
        }
    }

    /*
     * loop.close() with pending tasks: CPython reports "Task was destroyed but it is pending!" when each is
     * collected; we report at close() and unwind each coroutine so that no virtual thread stays parked.
     */
    @Test
    void closeWithPendingTasksReportsEachAndLeavesNoThreadParked() throws Exception {
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        List<String> unwound = new CopyOnWriteArrayList<>();
        EventLoop loop = EventLoop.builder().exceptionHandler((l, ctx) -> reports.add(ctx)).build();
        boolean fast = Engine.INSTANCE.interruptsBlockingCalls();
        List<Task<?>> pending = new ArrayList<>();
        LoopFuture<Void> never = loop.createFuture();
        pending.add(loop.createTask("on-future", () -> {
            try {
                return never.await();
            } catch (Exception e) {
                unwound.add("caught Exception"); // must not happen: the unwinding is an Error
                throw e;
            } finally {
                unwound.add("on-future");
            }
        }));
        pending.add(loop.createTask("in-sleep", () -> {
            try {
                return Aio.sleep(Duration.ofHours(1), null);
            } finally {
                unwound.add("in-sleep");
            }
        }));
        pending.add(loop.createTask("in-yield-loop", () -> {
            try {
                while (true) {
                    Aio.sleep(Duration.ZERO);
                }
            } finally {
                unwound.add("in-yield-loop");
            }
        }));
        if (fast) {
            // Only the fast engine frees the loop during a JDK blocking call, so only there can the loop
            // stop while a coroutine is in one.
            pending.add(loop.createTask("in-thread-sleep", () -> {
                try {
                    Thread.sleep(Duration.ofHours(1));
                    return null;
                } finally {
                    unwound.add("in-thread-sleep");
                }
            }));
        }
        loop.runUntilComplete(() -> {
            Aio.sleep(Duration.ZERO);
            Aio.sleep(Duration.ZERO);
            return null;
        });
        Task<Void> notStarted = loop.createTask("not-started", () -> {
            unwound.add("not-started ran");
            return null;
        });
        pending.add(notStarted);
        assertThat(loop.allTasks()).containsExactlyElementsOf(pending);

        loop.close();

        assertThat(reports).extracting(ErrorContext::message).containsOnly("Task was destroyed but it is pending!");
        assertThat(reports).extracting(ErrorContext::future).containsExactlyInAnyOrderElementsOf(pending);
        for (Task<?> t : pending) {
            // The fallback engine starts a task's thread at its first step: one that never ran has none.
            assertThat(t.thread.getState() == Thread.State.NEW || t.thread.join(Duration.ofSeconds(10)))
                    .as("thread of %s terminated or never started", t).isTrue();
            assertThat(t.isCancelled()).as("%s cancelled", t).isTrue();
        }
        List<String> expected = new ArrayList<>(List.of("on-future", "in-sleep", "in-yield-loop"));
        if (fast) {
            expected.add("in-thread-sleep");
        }
        assertThat(unwound).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(catchThrowable(notStarted::result)).isInstanceOf(java.util.concurrent.CancellationException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closeOfALoopWithoutTasksReportsNothing() throws Exception {
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        EventLoop loop = EventLoop.builder().exceptionHandler((l, ctx) -> reports.add(ctx)).build();
        Task<String> t = loop.createTask(() -> Aio.sleep(Duration.ZERO, "x"));
        assertThat(loop.runUntilComplete(t)).isEqualTo("x");
        loop.close();
        assertThat(reports).isEmpty();
        assertThat(t.thread.join(Duration.ofSeconds(10))).isTrue();
    }
}
