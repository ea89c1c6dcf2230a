package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Loop-thread-only calls made from another thread while the loop runs fail at once, naming the thread-safe
 * alternative (asyncio only checks this in debug mode, with "Non-thread-safe operation invoked on an event
 * loop other than the current one"), and have no effect.
 */
@Timeout(30)
class ConfinementTest {

    @Test
    void loopOnlyCallsFromAnotherThreadFailNamingTheThreadSafeAlternative() throws Exception {
        EventLoop loop = EventLoop.builder().name("confined").build();
        try (LoopThread lt = new LoopThread(loop)) {
            LoopFuture<String> future = lt.call(loop::createFuture);
            Handle handle = lt.call(() -> loop.callSoon(() -> { }));
            TimerHandle timer = lt.call(() -> loop.callLater(Duration.ofHours(1), () -> { }));
            Consumer<LoopFuture<String>> cb = f -> { };

            record Call(String alternative, ThrowingCallable call) { }
            List<Call> calls = List.of(
                    new Call("callSoonThreadsafe", () -> loop.callSoon(() -> { })),
                    new Call("callSoonThreadsafe(() -> loop.callLater(...))", () -> loop.callLater(Duration.ZERO, () -> { })),
                    new Call("callSoonThreadsafe(() -> loop.callLater(...))", () -> loop.callAt(0, () -> { })),
                    new Call("callSoonThreadsafe(loop::stop)", loop::stop),
                    new Call("Bridge.runCoroutineThreadsafe(coroutine, loop)", () -> loop.createTask(() -> 1)),
                    new Call("callSoonThreadsafe", loop::allTasks),
                    new Call("loop.callSoonThreadsafe(() -> future.setResult(v))", () -> future.setResult("x")),
                    new Call("loop.callSoonThreadsafe(() -> future.setException(e))",
                            () -> future.setException(new RuntimeException())),
                    new Call("loop.callSoonThreadsafe(future::cancel)", future::cancel),
                    new Call("loop.callSoonThreadsafe(future::cancel)", () -> future.cancel("msg")),
                    new Call("Bridge.toCompletableFuture(future)", () -> future.addDoneCallback(cb)),
                    new Call("loop.callSoonThreadsafe", () -> future.removeDoneCallback(cb)),
                    new Call("loop.callSoonThreadsafe(handle::cancel)", handle::cancel),
                    new Call("loop.callSoonThreadsafe(handle::cancel)", timer::cancel));

            for (Call c : calls) {
                assertThatThrownBy(c.call()).as(c.alternative())
                        .isExactlyInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("from other threads use " + c.alternative())
                        .hasMessageContaining("thread '" + Thread.currentThread().getName() + "'")
                        .hasMessageContaining("'confined' runs on '" + lt.thread.getName() + "'");
            }

            // None of them took effect.
            assertThat(future.isDone()).isFalse();
            assertThat(handle.isCancelled()).isFalse();
            assertThat(timer.isCancelled()).isFalse();
            assertThat(loop.isRunning()).isTrue();
            assertThat(lt.call(() -> loop.timers.size())).isEqualTo(1);
            assertThat(lt.call(() -> loop.allTasks().size())).isZero();

            // The thread-safe doors work, and what may be read anywhere can be.
            lt.call(() -> {
                future.setResult("set on the loop");
                return null;
            });
            assertThat(future.isDone()).isTrue();
            assertThat(future.isCancelled()).isFalse();
            assertThat(future.result()).isEqualTo("set on the loop");
            assertThat(future.getLoop()).isSameAs(loop);
        }
    }

    @Test
    void aLoopThatIsNotRunningBelongsToWhoeverDrivesIt() throws Exception {
        EventLoop loop = EventLoop.create();
        try {
            // asyncio: scheduling on a loop that is not running is fine from any thread; it runs later.
            StringBuilder ran = new StringBuilder();
            Thread t = Thread.ofPlatform().start(() -> {
                loop.callSoon(() -> ran.append("a"));
                loop.callLater(Duration.ZERO, () -> ran.append("b"));
            });
            t.join();
            loop.callSoon(() -> loop.callSoon(loop::stop));
            loop.runForever();
            assertThat(ran).hasToString("ab");
        } finally {
            loop.close();
        }
    }
}
