package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input at every public entry point of the bridge (Bridge, LoopPool and its builder): nulls, negative
 * and huge durations, closed loops, a shut-down pool, calls that need a running loop made without one, a
 * pool closed from its own loop. Each row expects the documented exception (type and a fragment of its
 * message: the parameter name for a null), or, for a row without one, that the call works.
 */
@Timeout(60)
class BridgeBadInputTest {
    static final Duration HUGE = Duration.ofSeconds(Long.MAX_VALUE);
    static final Duration NEGATIVE = Duration.ofMillis(-1);

    interface Call {
        void call() throws Throwable;
    }

    record Row(String name, Class<? extends Throwable> expected, String message, Call call) {
    }

    RunningLoop running;
    EventLoop closed;
    LoopFuture<Integer> closedLoopsFuture;
    LoopPool pool;
    LoopPool shutDown;

    @BeforeEach
    void fixtures() {
        running = new RunningLoop();
        closed = EventLoop.create();
        closedLoopsFuture = closed.createFuture();
        closed.close();
        pool = LoopPool.builder().name("bad-input").loops(1).build();
        shutDown = LoopPool.builder().name("shut-down").loops(1).build();
        shutDown.close();
    }

    @AfterEach
    void cleanUp() {
        pool.close();
        running.close();
    }

    @TestFactory
    Stream<DynamicTest> everyBadCallFailsAtTheCallWithTheDocumentedException() {
        List<Row> rows = new ArrayList<>();
        EventLoop loop = running.loop;

        // ---- nulls ----
        rows.add(npe("runCoroutineThreadsafe(null, loop)", () -> Bridge.runCoroutineThreadsafe(null, loop), "coroutine"));
        rows.add(npe("runCoroutineThreadsafe(c, null)", () -> Bridge.runCoroutineThreadsafe(() -> 1, null), "loop"));
        rows.add(npe("callSoonThreadsafe(null, f)", () -> Bridge.callSoonThreadsafe(null, () -> 1), "loop"));
        rows.add(npe("callSoonThreadsafe(loop, null)", () -> Bridge.callSoonThreadsafe(loop, null), "function"));
        rows.add(npe("toCompletableFuture(null)", () -> Bridge.toCompletableFuture(null), "future"));
        rows.add(npe("wrapFuture(null)", () -> Bridge.wrapFuture(null), "future"));
        rows.add(npe("runOn(null, c)", () -> Bridge.runOn(null, () -> 1), "target"));
        rows.add(npe("runOn(loop, null)", () -> Bridge.runOn(loop, null), "coroutine"));
        rows.add(npe("runInExecutor(null, f)", () -> Bridge.runInExecutor(null, () -> 1), "executor"));
        rows.add(npe("runInExecutor(e, null)", () -> Bridge.runInExecutor(Runnable::run, null), "function"));
        rows.add(npe("shutdownDefaultExecutor(null)", () -> Bridge.shutdownDefaultExecutor(null), "loop"));
        rows.add(npe("setContextPropagator(null)", () -> Bridge.setContextPropagator(null), "contextPropagator"));
        rows.add(npe("pool.loopFor(null)", () -> pool.loopFor(null), "key"));
        rows.add(npe("pool.submit(null)", () -> pool.submit(null), "coroutine"));
        rows.add(npe("pool.execute(null)", () -> pool.execute(null), "command"));
        rows.add(npe("pool.shutdownGracefully(null)", () -> pool.shutdownGracefully(null), "grace"));
        rows.add(npe("pool.onTermination(null)", () -> pool.onTermination(null), "hook"));
        rows.add(npe("builder.name(null)", () -> LoopPool.builder().name(null), "name"));
        rows.add(npe("builder.threadNamePrefix(null)", () -> LoopPool.builder().threadNamePrefix(null), "prefix"));
        rows.add(npe("builder.selection(null)", () -> LoopPool.builder().selection(null), "selection"));
        rows.add(npe("builder.slowCallbackDuration(null)", () -> LoopPool.builder().slowCallbackDuration(null), "threshold"));
        rows.add(npe("builder.idleSpin(null)", () -> LoopPool.builder().idleSpin(null), "spin"));
        rows.add(npe("builder.maxPendingSubmissions(1, null, d)", () -> LoopPool.builder()
                .maxPendingSubmissions(1, null, Duration.ZERO), "whenFull"));
        rows.add(npe("builder.maxPendingSubmissions(1, w, null)", () -> LoopPool.builder()
                .maxPendingSubmissions(1, LoopPool.WhenFull.CALLER_BLOCKS, null), "blockTimeout"));
        rows.add(npe("builder.closeGrace(null)", () -> LoopPool.builder().closeGrace(null), "grace"));
        rows.add(npe("builder.cancellationTimeout(null)", () -> LoopPool.builder().cancellationTimeout(null), "timeout"));
        rows.add(npe("builder.loopDefaults(null)", () -> LoopPool.builder().loopDefaults(null), "defaults"));
        rows.add(npe("builder.loopDefaults(l -> l.idleSpin(null))", () -> LoopPool.builder()
                .loopDefaults(l -> l.idleSpin(null)), "spin"));
        rows.add(npe("builder.contextPropagator(null)", () -> LoopPool.builder().contextPropagator(null), "propagator"));

        // ---- numbers and durations ----
        rows.add(iae("LoopPool.create(0)", () -> LoopPool.create(0), "at least one loop"));
        rows.add(iae("builder.loops(-1)", () -> LoopPool.builder().loops(-1), "at least one loop"));
        rows.add(iae("builder.maxPendingSubmissions(0)", () -> LoopPool.builder().maxPendingSubmissions(0), "positive"));
        rows.add(iae("builder.slowCallbackDuration(negative)", () -> LoopPool.builder().slowCallbackDuration(NEGATIVE), "negative"));
        rows.add(iae("builder.idleSpin(negative)", () -> LoopPool.builder().idleSpin(NEGATIVE), "negative"));
        rows.add(iae("builder.loopDefaults(l -> l.slowCallbackDuration(negative))", () -> LoopPool.builder()
                .loopDefaults(l -> l.slowCallbackDuration(NEGATIVE)), "negative"));
        rows.add(iae("builder.maxPendingSubmissions(1, w, negative)", () -> LoopPool.builder()
                .maxPendingSubmissions(1, LoopPool.WhenFull.CALLER_BLOCKS, NEGATIVE), "negative"));
        rows.add(iae("builder.closeGrace(negative)", () -> LoopPool.builder().closeGrace(NEGATIVE), "negative"));
        rows.add(iae("builder.cancellationTimeout(negative)", () -> LoopPool.builder().cancellationTimeout(NEGATIVE), "negative"));
        rows.add(ok("a pool with huge durations everywhere serves and closes", () -> {
            try (LoopPool p = LoopPool.builder().name("huge").loops(1).slowCallbackDuration(HUGE).closeGrace(HUGE)
                    .cancellationTimeout(HUGE).maxPendingSubmissions(8, LoopPool.WhenFull.CALLER_BLOCKS, HUGE).build()) {
                assertThat(p.submit(() -> Aio.sleep(Duration.ZERO, 5)).get(10, TimeUnit.SECONDS)).isEqualTo(5);
            }
        }));
        rows.add(ok("shutdownGracefully(huge) of an idle pool terminates", () -> {
            LoopPool p = LoopPool.builder().name("huge-grace").loops(1).build();
            p.shutdownGracefully(HUGE).get(10, TimeUnit.SECONDS);
            assertThat(p.isTerminated()).isTrue();
        }));

        // ---- closed loops and a shut-down pool: RejectedExecutionException ----
        rows.add(rejected("runCoroutineThreadsafe on a closed loop", () -> Bridge.runCoroutineThreadsafe(() -> 1, closed)));
        rows.add(rejected("callSoonThreadsafe on a closed loop", () -> Bridge.callSoonThreadsafe(closed, () -> 1)));
        rows.add(rejected("pool.submit after shutdown", () -> shutDown.submit(() -> 1)));
        rows.add(rejected("pool.execute after shutdown", () -> shutDown.execute(() -> { })));
        rows.add(rejected("pool.next after shutdown", shutDown::next));
        rows.add(rejected("runCoroutineThreadsafe on a shut-down pool's loop", () ->
                Bridge.runCoroutineThreadsafe(() -> 1, shutDownLoop())));
        rows.add(ok("toCompletableFuture of a closed loop's pending future is cancelled, not left hanging", () ->
                assertThat(Bridge.toCompletableFuture(closedLoopsFuture).isCancelled()).isTrue()));

        // ---- calls that need a running loop, made without one: IllegalStateException ----
        rows.add(ise("wrapFuture with no loop", () -> Bridge.wrapFuture(new CompletableFuture<>()), "no running event loop"));
        rows.add(ise("toThread with no loop", () -> Bridge.toThread(() -> 1), "no running event loop"));
        rows.add(ise("runInExecutor with no loop", () -> Bridge.runInExecutor(Runnable::run, () -> 1), "no running event loop"));
        rows.add(ok("runOn with no loop fails before submitting anything", () -> {
            AtomicBoolean ran = new AtomicBoolean();
            Throwable thrown = capture(() -> Bridge.runOn(loop, () -> ran.getAndSet(true)));
            assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("no running event loop");
            // a coroutine submitted now runs after any submitted before it (tasks start in order)
            Bridge.runCoroutineThreadsafe(() -> null, loop).get(10, TimeUnit.SECONDS);
            assertThat(ran).as("the coroutine of the refused runOn ran").isFalse();
        }));
        rows.add(ok("pool.close() from its own loop fails, naming shutdownGracefully", () -> {
            Throwable thrown = pool.submit(() -> capture(pool::close)).get(10, TimeUnit.SECONDS);
            assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("shutdownGracefully")
                    .hasMessageContaining("coroutines ('Task-"); // the task's name: its virtual thread has none
        }));

        return rows.stream().map(r -> DynamicTest.dynamicTest(r.name(), () -> check(r)));
    }

    EventLoop shutDownLoop() {
        // a closed pool's loops are closed: reach one through a pool built for it
        LoopPool p = LoopPool.builder().name("shut-down-2").loops(1).build();
        EventLoop l = p.loops().getFirst();
        p.close();
        return l;
    }

    static Row npe(String name, Call call, String parameter) {
        return new Row(name, NullPointerException.class, parameter, call);
    }

    static Row iae(String name, Call call, String message) {
        return new Row(name, IllegalArgumentException.class, message, call);
    }

    static Row ise(String name, Call call, String message) {
        return new Row(name, IllegalStateException.class, message, call);
    }

    static Row rejected(String name, Call call) {
        return new Row(name, RejectedExecutionException.class, null, call);
    }

    static Row ok(String name, Call call) {
        return new Row(name, null, null, call);
    }

    static void check(Row r) throws Throwable {
        Throwable thrown = capture(r.call());
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

    static Throwable capture(Call call) {
        try {
            call.call();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
