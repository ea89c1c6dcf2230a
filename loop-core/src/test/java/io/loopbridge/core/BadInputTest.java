package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input at every public entry point of loop-core: nulls, closed loops, wrong threads, re-entrant runs,
 * await outside a coroutine, double completion. Each row names the call, where it is made, and the
 * documented exception (type and a fragment of its message: the parameter name for a null). A row fails on
 * a hang (class timeout), a silent accept or another exception.
 */
@Timeout(60)
class BadInputTest {
    static final Duration HUGE = Duration.ofSeconds(Long.MAX_VALUE);
    static final Duration HUGE_NEGATIVE = Duration.ofSeconds(Long.MIN_VALUE);
    static final Runnable NOOP = () -> { };

    /** Where a row's call is made. */
    enum Where {
        /** The test's own platform thread, no loop running on it. */
        HERE,
        /** A plain callback on a running loop (the loop thread, not a coroutine). */
        CALLBACK,
        /** Inside a coroutine (a task of a loop run by Aio.run). */
        COROUTINE,
        /** A virtual thread with no loop. */
        VIRTUAL
    }

    interface Call {
        void call() throws Throwable;
    }

    record Row(String name, Where where, Class<? extends Throwable> expected, String message, Call call) {
    }

    EventLoop idle;
    EventLoop closed;
    LoopFuture<Integer> closedFuture;
    LoopThread running;
    LoopFuture<Integer> runningFuture;
    Handle runningHandle;
    TimerHandle runningTimer;
    Task<Integer> runningTask;

    @BeforeEach
    void fixtures() throws Exception {
        idle = EventLoop.builder().name("idle").build();
        closed = EventLoop.builder().name("closed").build();
        closedFuture = closed.createFuture();
        closed.close();
        running = new LoopThread(EventLoop.builder().name("running").build());
        EventLoop loop = running.loop;
        runningFuture = running.call(loop::createFuture);
        runningHandle = running.call(() -> loop.callLater(Duration.ofHours(1), NOOP));
        runningTimer = running.call(() -> loop.callLater(Duration.ofHours(1), NOOP));
        runningTask = running.call(() -> loop.createTask(runningFuture::await));
    }

    @AfterEach
    void cleanUp() throws Exception {
        running.call(() -> runningTask.cancel());
        running.close();
        idle.close();
    }

    @TestFactory
    Stream<DynamicTest> everyBadCallFailsAtTheCallWithTheDocumentedException() {
        List<Row> rows = new ArrayList<>();
        EventLoop loop = running.loop;

        // ---- null arguments: NullPointerException naming the parameter ----
        rows.add(npe("callSoon(null)", () -> idle.callSoon(null), "callback"));
        rows.add(npe("callLater(null, cb)", () -> idle.callLater(null, NOOP), "delay"));
        rows.add(npe("callLater(d, null)", () -> idle.callLater(Duration.ZERO, null), "callback"));
        rows.add(npe("callAt(t, null)", () -> idle.callAt(0, null), "callback"));
        rows.add(npe("callSoonThreadsafe(null)", () -> idle.callSoonThreadsafe(null), "callback"));
        rows.add(npe("callSoonThreadsafe(null, onDropped)", () -> idle.callSoonThreadsafe(null, NOOP), "callback"));
        rows.add(npe("callSoonThreadsafe(cb, null)", () -> idle.callSoonThreadsafe(NOOP, null), "onDropped"));
        rows.add(npe("execute(null)", () -> idle.execute(null), "command"));
        rows.add(npe("runUntilComplete((LoopFuture) null)", () -> idle.runUntilComplete((LoopFuture<?>) null), "future"));
        rows.add(npe("runUntilComplete((Coroutine) null)", () -> idle.runUntilComplete((Coroutine<?>) null), "coroutine"));
        rows.add(npe("createTask(null)", () -> idle.createTask(null), "coroutine"));
        rows.add(npe("createTask(name, null)", () -> idle.createTask("t", null), "coroutine"));
        rows.add(npe("callExceptionHandler(null)", () -> idle.callExceptionHandler(null), "context"));
        rows.add(npe("setSlowCallbackDuration(null)", () -> idle.setSlowCallbackDuration(null), "threshold"));
        rows.add(npe("builder().name(null)", () -> EventLoop.builder().name(null), "name"));
        rows.add(npe("builder().slowCallbackDuration(null)", () -> EventLoop.builder().slowCallbackDuration(null), "threshold"));
        rows.add(npe("builder().idleSpin(null)", () -> EventLoop.builder().idleSpin(null), "spin"));
        rows.add(npe("future.setException(null)", () -> idle.createFuture().setException(null), "exception"));
        rows.add(npe("future.addDoneCallback(null)", () -> idle.createFuture().addDoneCallback(null), "callback"));
        rows.add(npe("future.removeDoneCallback(null)", () -> idle.createFuture().removeDoneCallback(null), "callback"));
        rows.add(npe("task.setName(null)", () -> runningTask.setName(null), "name"));
        rows.add(npe("Aio.run(null)", () -> Aio.run(null), "coroutine"));
        rows.add(npe("Aio.sleep(null)", () -> Aio.sleep(null), "delay"));
        rows.add(npe("Aio.gather((Collection) null)", () -> Aio.gather((List<?>) null), "futures"));
        rows.add(npe("Aio.wait(null, ALL)", () -> Aio.wait(null, ReturnWhen.ALL_COMPLETED), "futures"));
        rows.add(npe("Aio.wait(fs, null)", () -> Aio.wait(List.of(idle.createFuture()), null), "returnWhen"));
        rows.add(npe("Aio.asCompleted(null, d)", () -> Aio.asCompleted(null, null), "futures"));
        rows.add(npe("Aio.shield((LoopFuture) null)", () -> Aio.shield((LoopFuture<?>) null), "inner"));
        rows.add(npe("Aio.waitFor((LoopFuture) null, d)", () -> Aio.waitFor((LoopFuture<?>) null, null), "future"));
        rows.add(npe("Aio.waitFor((Coroutine) null, d)", () -> Aio.waitFor((Coroutine<?>) null, null), "coroutine"));
        rows.add(npe("Aio.withTimeout(d, (Coroutine) null)", () -> Aio.withTimeout(null, (Coroutine<?>) null), "body"));
        rows.add(npe("Aio.taskGroup(null)", () -> Aio.taskGroup(null), "body"));

        // ---- durations: negative and huge ----
        rows.add(row("setSlowCallbackDuration(negative)", Where.HERE, IllegalArgumentException.class, "negative",
                () -> idle.setSlowCallbackDuration(Duration.ofMillis(-1))));
        rows.add(row("builder().slowCallbackDuration(negative)", Where.HERE, IllegalArgumentException.class, "negative",
                () -> EventLoop.builder().slowCallbackDuration(HUGE_NEGATIVE)));
        rows.add(row("builder().idleSpin(negative)", Where.HERE, IllegalArgumentException.class, "negative",
                () -> EventLoop.builder().idleSpin(Duration.ofNanos(-1))));
        rows.add(ok("setSlowCallbackDuration(huge) saturates", () -> {
            idle.setSlowCallbackDuration(HUGE);
            assertThat(idle.getSlowCallbackDuration()).isEqualTo(Duration.ofNanos(Checks.MAX_NANOS));
        }));
        rows.add(ok("builder().slowCallbackDuration(huge) saturates", () ->
                assertThat(EventLoop.builder().slowCallbackDuration(HUGE).build().getSlowCallbackDuration())
                        .isEqualTo(Duration.ofNanos(Checks.MAX_NANOS))));
        rows.add(ok("callLater(huge) is never, callLater(huge negative) is the next iteration", () -> {
            EventLoop l = EventLoop.create();
            List<String> ran = new ArrayList<>();
            TimerHandle never = l.callLater(HUGE, () -> ran.add("never"));
            l.callLater(HUGE_NEGATIVE, () -> ran.add("now"));
            l.stop();
            l.runForever();
            assertThat(ran).containsExactly("now");
            assertThat(never.when()).isGreaterThan(l.time() + TimeUnit.DAYS.toNanos(365 * 100));
            l.close();
        }));
        rows.add(row("Aio.sleep(huge) sleeps until cancelled", Where.COROUTINE, CancellationException.class, null, () -> {
            Task<?> sleeper = Aio.createTask(() -> {
                Aio.sleep(HUGE);
                return null;
            });
            Aio.sleep(Duration.ZERO);
            assertThat(sleeper.isDone()).isFalse();
            sleeper.cancel();
            sleeper.await();
        }));
        rows.add(ok("Aio.sleep(huge negative) yields once", () ->
                assertThat(Aio.run(() -> Aio.sleep(HUGE_NEGATIVE, "yielded"))).isEqualTo("yielded")));
        rows.add(ok("Aio.withTimeout(huge) and waitFor(huge) do not time out", () ->
                assertThat(Aio.run(() -> Aio.withTimeout(HUGE, () -> Aio.waitFor(() -> 7, HUGE)))).isEqualTo(7)));
        rows.add(row("Aio.withTimeout(huge negative) times out at once", Where.COROUTINE,
                java.util.concurrent.TimeoutException.class, null,
                () -> Aio.withTimeout(HUGE_NEGATIVE, () -> Aio.sleep(Duration.ofHours(1), 1))));

        // ---- a closed loop: RejectedExecutionException ----
        rows.add(rejected("callSoon", () -> closed.callSoon(NOOP)));
        rows.add(rejected("callLater", () -> closed.callLater(Duration.ZERO, NOOP)));
        rows.add(rejected("callAt", () -> closed.callAt(0, NOOP)));
        rows.add(rejected("callSoonThreadsafe", () -> closed.callSoonThreadsafe(NOOP)));
        rows.add(rejected("callSoonThreadsafe(cb, onDropped)", () -> closed.callSoonThreadsafe(NOOP, NOOP)));
        rows.add(rejected("execute", () -> closed.execute(NOOP)));
        rows.add(rejected("runForever", closed::runForever));
        rows.add(rejected("runUntilComplete(future)", () -> closed.runUntilComplete(closedFuture)));
        rows.add(rejected("runUntilComplete(coroutine)", () -> closed.runUntilComplete(() -> 1)));
        rows.add(ok("createFuture makes a future, as CPython's create_future does", closed::createFuture));
        rows.add(rejected("createTask", () -> closed.createTask(() -> 1)));
        rows.add(ok("close() twice is a no-op", closed::close));

        // ---- the wrong thread while the loop runs elsewhere: IllegalStateException ----
        rows.add(wrongThread("callSoon", () -> loop.callSoon(NOOP)));
        rows.add(wrongThread("callLater", () -> loop.callLater(Duration.ZERO, NOOP)));
        rows.add(wrongThread("callAt", () -> loop.callAt(0, NOOP)));
        rows.add(wrongThread("stop", loop::stop));
        rows.add(wrongThread("createTask", () -> loop.createTask(() -> 1)));
        rows.add(wrongThread("allTasks", loop::allTasks));
        rows.add(wrongThread("future.setResult", () -> runningFuture.setResult(1)));
        rows.add(wrongThread("future.setException", () -> runningFuture.setException(new Exception())));
        rows.add(wrongThread("future.cancel", () -> runningFuture.cancel()));
        rows.add(wrongThread("future.addDoneCallback", () -> runningFuture.addDoneCallback(f -> { })));
        rows.add(wrongThread("future.removeDoneCallback", () -> runningFuture.removeDoneCallback(f -> { })));
        rows.add(wrongThread("handle.cancel", runningHandle::cancel));
        rows.add(wrongThread("timer.cancel", runningTimer::cancel));
        rows.add(wrongThread("task.cancel", () -> runningTask.cancel()));
        rows.add(wrongThread("task.uncancel", runningTask::uncancel));
        rows.add(row("close() of a running loop", Where.HERE, IllegalStateException.class, "running", loop::close));
        rows.add(row("runForever() of a loop running elsewhere", Where.HERE, IllegalStateException.class,
                "already running", loop::runForever));
        rows.add(row("runUntilComplete() of a loop running elsewhere", Where.HERE, IllegalStateException.class,
                "already running", () -> loop.runUntilComplete(runningFuture)));
        rows.add(row("runForever() on a virtual thread", Where.VIRTUAL, IllegalStateException.class,
                "virtual thread", () -> EventLoop.create().runForever()));
        rows.add(row("Aio.run() on a virtual thread", Where.VIRTUAL, IllegalStateException.class,
                "virtual thread", () -> Aio.run(() -> 1)));

        // ---- re-entrant runs: IllegalStateException ----
        rows.add(row("runForever() inside its own callback", Where.CALLBACK, IllegalStateException.class,
                "already running", () -> Aio.getRunningLoop().runForever()));
        rows.add(row("runUntilComplete() inside its own callback", Where.CALLBACK, IllegalStateException.class,
                "already running", () -> {
                    EventLoop self = Aio.getRunningLoop();
                    self.runUntilComplete(self.createFuture());
                }));
        rows.add(row("runUntilComplete() inside a coroutine", Where.COROUTINE, IllegalStateException.class,
                "await", () -> Aio.getRunningLoop().runUntilComplete(() -> 1)));
        rows.add(row("another loop's runForever() inside a callback", Where.CALLBACK, IllegalStateException.class,
                "while loop", () -> idle.runForever()));
        rows.add(row("another loop's runUntilComplete() inside a coroutine", Where.COROUTINE,
                IllegalStateException.class, "while loop", () -> idle.runUntilComplete(() -> 1)));
        rows.add(row("Aio.run() inside a coroutine", Where.COROUTINE, IllegalStateException.class,
                "running event loop", () -> Aio.run(() -> 1)));
        rows.add(row("Aio.run() inside a callback", Where.CALLBACK, IllegalStateException.class,
                "running event loop", () -> Aio.run(() -> 1)));

        // ---- await and friends outside a coroutine: IllegalStateException ----
        rows.add(row("future.await() with no loop", Where.HERE, IllegalStateException.class, null,
                () -> idle.createFuture().await()));
        rows.add(row("future.await() in a plain callback", Where.CALLBACK, IllegalStateException.class, null,
                () -> Aio.getRunningLoop().createFuture().await()));
        rows.add(row("await of another loop's future in a coroutine", Where.COROUTINE, IllegalStateException.class,
                null, () -> idle.createFuture().await()));
        rows.add(row("Aio.sleep() with no loop", Where.HERE, IllegalStateException.class, "no running event loop",
                () -> Aio.sleep(Duration.ZERO)));
        rows.add(row("Aio.sleep() in a plain callback", Where.CALLBACK, IllegalStateException.class, null,
                () -> Aio.sleep(Duration.ZERO)));
        rows.add(row("Aio.wait() in a plain callback", Where.CALLBACK, IllegalStateException.class, null,
                () -> Aio.wait(List.of(Aio.getRunningLoop().createFuture()), ReturnWhen.ALL_COMPLETED)));
        rows.add(row("Aio.waitFor(coroutine) in a plain callback", Where.CALLBACK, IllegalStateException.class,
                null, () -> Aio.waitFor(() -> 1, Duration.ofSeconds(1))));
        rows.add(row("Aio.withTimeout() with no loop", Where.HERE, IllegalStateException.class, null,
                () -> Aio.withTimeout(Duration.ofSeconds(1), () -> 1)));
        rows.add(row("Aio.taskGroup() with no loop", Where.HERE, IllegalStateException.class, null,
                () -> Aio.taskGroup(g -> 1)));
        rows.add(row("Aio.getRunningLoop() with no loop", Where.HERE, IllegalStateException.class,
                "no running event loop", Aio::getRunningLoop));
        rows.add(row("Aio.currentTask() with no loop", Where.HERE, IllegalStateException.class,
                "no running event loop", Aio::currentTask));
        rows.add(row("Aio.createTask() with no loop", Where.HERE, IllegalStateException.class,
                "no running event loop", () -> Aio.createTask(() -> 1)));

        // ---- double completion and results not ready: InvalidStateException ----
        rows.add(invalid("setResult twice", "already done", () -> {
            LoopFuture<Integer> f = idle.createFuture();
            f.setResult(1);
            f.setResult(2);
        }));
        rows.add(invalid("setException after setResult", "already done", () -> {
            LoopFuture<Integer> f = idle.createFuture();
            f.setResult(1);
            f.setException(new Exception());
        }));
        rows.add(invalid("setResult after cancel", "already done", () -> {
            LoopFuture<Integer> f = idle.createFuture();
            f.cancel();
            f.setResult(1);
        }));
        rows.add(invalid("setResult after setException", "already done", () -> {
            LoopFuture<Integer> f = idle.createFuture();
            f.setException(new Exception());
            f.exception();
            f.setResult(1);
        }));
        rows.add(invalid("result() of a pending future", "not ready", () -> idle.createFuture().result()));
        rows.add(invalid("exception() of a pending future", "not set", () -> idle.createFuture().exception()));
        rows.add(ok("cancel() of a done future returns false and changes nothing", () -> {
            LoopFuture<Integer> f = idle.createFuture();
            f.setResult(1);
            assertThat(f.cancel()).isFalse();
            assertThat(f.result()).isEqualTo(1);
        }));
        rows.add(row("setException(CancellationException)", Where.HERE, IllegalArgumentException.class, "cancel()",
                () -> idle.createFuture().setException(new CancellationException())));
        rows.add(row("task.setResult", Where.HERE, UnsupportedOperationException.class, "coroutine",
                () -> runningTask.setResult(1)));
        rows.add(row("task.setException", Where.HERE, UnsupportedOperationException.class, "coroutine",
                () -> runningTask.setException(new Exception())));
        rows.add(row("runUntilComplete(another loop's future)", Where.HERE, IllegalArgumentException.class,
                "belongs to loop", () -> idle.runUntilComplete(closedFuture)));
        rows.add(row("Aio.wait(empty)", Where.COROUTINE, IllegalArgumentException.class, "empty",
                () -> Aio.wait(List.of(), ReturnWhen.ALL_COMPLETED)));

        return rows.stream().map(r -> DynamicTest.dynamicTest(r.where() + ": " + r.name(), () -> check(r)));
    }

    // ---- the harness -------------------------------------------------------------------------------

    static Row npe(String name, Call call, String parameter) {
        return row(name, Where.HERE, NullPointerException.class, parameter, call);
    }

    static Row rejected(String name, Call call) {
        return row("closed loop: " + name, Where.HERE, RejectedExecutionException.class, "is closed", call);
    }

    static Row wrongThread(String name, Call call) {
        return row("loop running elsewhere: " + name, Where.HERE, IllegalStateException.class, "runs on", call);
    }

    static Row invalid(String name, String message, Call call) {
        return row(name, Where.HERE, InvalidStateException.class, message, call);
    }

    /** A row whose call must succeed (its assertions are inside). */
    static Row ok(String name, Call call) {
        return row(name, Where.HERE, null, null, call);
    }

    static Row row(String name, Where where, Class<? extends Throwable> expected, String message, Call call) {
        return new Row(name, where, expected, message, call);
    }

    static void check(Row r) throws Throwable {
        Throwable thrown = runIn(r.where(), r.call());
        if (r.expected() == null) {
            if (thrown != null) {
                throw thrown;
            }
            return;
        }
        assertThat(thrown).as(r.name()).isInstanceOf(r.expected());
        if (r.message() != null) {
            assertThat(thrown.getMessage()).as(r.name()).contains(r.message());
        }
    }

    /** Makes the call in the given place and returns what it threw, or null. */
    static Throwable runIn(Where where, Call call) throws Exception {
        switch (where) {
            case HERE -> {
                return capture(call);
            }
            case VIRTUAL -> {
                CompletableFuture<Throwable> out = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> out.complete(capture(call)));
                return out.get(10, TimeUnit.SECONDS);
            }
            case CALLBACK -> {
                EventLoop l = EventLoop.create();
                Throwable[] out = {null};
                l.callSoon(() -> out[0] = capture(call));
                l.stop();
                l.runForever();
                l.close();
                return out[0];
            }
            case COROUTINE -> {
                return Aio.run(() -> capture(call));
            }
            default -> throw new AssertionError(where);
        }
    }

    static Throwable capture(Call call) {
        try {
            call.call();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
