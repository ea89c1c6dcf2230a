package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.BlockedLoopChecker.LoopBlockedException;
import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.LogCapture;
import io.loopbridge.testing.Waits;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool's blocked-loop watchdog: reported once per episode, with the stack and the task, and the state. */
@Timeout(60)
class WatchdogTest {
    private static final long T = 10;
    private static final Duration THRESHOLD = Duration.ofMillis(200);

    @Test
    void aSpinningCallbackIsReportedOnceWithItsStackAndTheStateFollowsIt() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        CountDownLatch reported = new CountDownLatch(1);
        boolean[] blockedWhenReported = new boolean[1];
        try (LogCapture logs = new LogCapture();
             LoopPool pool = LoopPool.builder().loops(2).name("wd").blockedThreshold(THRESHOLD)
                .exceptionHandler((loop, ctx) -> {
                    blockedWhenReported[0] = loop.stats().isBlocked();
                    reports.add(ctx);
                    reported.countDown();
                }).build()) {
            EventLoop loop = pool.loops().get(0);
            assertThat(loop.stats().isBlocked()).isFalse();
            CompletableFuture<Long> spun = Bridge.callSoonThreadsafe(loop, () -> spinningCallback(reported));
            assertThat(reported.await(T, TimeUnit.SECONDS)).isTrue();
            assertThat(spun.get(T, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(600));
            Waits.awaitTrue(() -> !loop.stats().isBlocked(), "the blocked state ends with the callback");

            assertThat(blockedWhenReported[0]).as("blocked while reported").isTrue();
            assertThat(reports).hasSize(1);
            ErrorContext ctx = reports.peek();
            assertThat(ctx.message()).contains("'wd-loop-0'", "one callback", "threshold 200 ms");
            assertThat(ctx.exception()).isInstanceOf(LoopBlockedException.class);
            assertThat(Arrays.stream(ctx.exception().getStackTrace()).map(StackTraceElement::getMethodName))
                    .contains("spinningCallback");
            assertThat(ctx.future()).isNull();
            assertThat(loop.stats().blockedEpisodes()).isEqualTo(1);
            assertThat(loop.stats().blockedNanos()).isZero();
            assertThat(pool.loops().get(1).stats().blockedEpisodes()).isZero();
            // The loop serves again, and a second episode is reported as a new one.
            CountDownLatch second = new CountDownLatch(1);
            loop.setExceptionHandler((l, c) -> second.countDown());
            Bridge.callSoonThreadsafe(loop, () -> spinningCallback(second)).get(T, TimeUnit.SECONDS);
            assertThat(loop.stats().blockedEpisodes()).isEqualTo(2);
            // With a handler too, each episode is also a WARN with the stack (logged before the handler runs).
            assertThat(logs.count("WARN io.loopbridge.core.BlockedLoopChecker - Event loop 'wd-loop-0' is blocked:"
                    + " one callback")).isGreaterThanOrEqualTo(2);
            assertThat(logs.text()).contains("BlockedLoopChecker$LoopBlockedException",
                    "at io.loopbridge.bridge.WatchdogTest.spinningCallback").doesNotContain("ERROR");
        }
    }

    @Test
    void aBlockedCoroutineStepIsReportedWithItsTask() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        CountDownLatch reported = new CountDownLatch(1);
        try (LogCapture logs = new LogCapture();
             LoopPool pool = LoopPool.builder().loops(1).name("wdc").blockedThreshold(THRESHOLD)
                .exceptionHandler((loop, ctx) -> {
                    reports.add(ctx);
                    reported.countDown();
                }).build()) {
            EventLoop loop = pool.loops().getFirst();
            CompletableFuture<Long> f = Bridge.runCoroutineThreadsafe(() -> {
                io.loopbridge.core.Aio.currentTask().setName("cruncher");
                return spinningCallback(reported);
            }, loop);
            assertThat(f.get(T, TimeUnit.SECONDS)).isPositive();
            Waits.awaitTrue(() -> !loop.stats().isBlocked(), "the blocked state ends with the step");
            assertThat(reports).hasSize(1);
            ErrorContext ctx = reports.peek();
            assertThat(ctx.message()).contains("'wdc-loop-0'", "task 'cruncher'");
            assertThat(ctx.future()).isNotNull();
            assertThat(Arrays.stream(ctx.exception().getStackTrace()).map(StackTraceElement::getMethodName))
                    .contains("spinningCallback");
            assertThat(logs.text()).contains("WARN io.loopbridge.core.BlockedLoopChecker - Event loop 'wdc-loop-0'"
                    + " is blocked: a coroutine step of task 'cruncher'", "at io.loopbridge.bridge.WatchdogTest.spinningCallback");
        }
    }

    @Test
    void manyShortCallbacksAreNotABlockedLoop() throws Exception {
        ConcurrentLinkedQueue<ErrorContext> reports = new ConcurrentLinkedQueue<>();
        // A longer threshold than elsewhere: a 1 ms callback must not be mistaken for a blocked one even when
        // this shared CI host deschedules the loop's thread for a while.
        Duration threshold = Duration.ofMillis(500);
        try (LoopPool pool = LoopPool.builder().loops(1).blockedThreshold(threshold)
                .exceptionHandler((loop, ctx) -> reports.add(ctx)).build()) {
            EventLoop loop = pool.loops().getFirst();
            CompletableFuture<?> last = null;
            long t0 = System.nanoTime();
            for (int i = 0; i < 600; i++) { // 600 ms of 1 ms callbacks, back to back
                last = Bridge.callSoonThreadsafe(loop, () -> spin(TimeUnit.MILLISECONDS.toNanos(1)));
            }
            last.get(T, TimeUnit.SECONDS);
            assertThat(System.nanoTime() - t0).isGreaterThan(threshold.toNanos());
            assertThat(reports).isEmpty();
            assertThat(loop.stats().blockedEpisodes()).isZero();
        }
    }

    @Test
    void theWatchdogIsADaemonThatEndsWithThePoolAndCanBeSwitchedOff() throws Exception {
        LoopPool pool = LoopPool.builder().loops(1).name("wdlife").build();
        Thread watchdog = thread("wdlife-watchdog");
        assertThat(watchdog).isNotNull();
        assertThat(watchdog.isDaemon()).isTrue();
        pool.close();
        watchdog.join(T * 1000);
        assertThat(watchdog.isAlive()).isFalse();

        try (LoopPool off = LoopPool.builder().loops(1).name("wdoff").blockedThreshold(Duration.ZERO).build()) {
            assertThat(off.submit(() -> 1).get(T, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(thread("wdoff-watchdog")).isNull();
        }
        assertThatThrownBy(() -> LoopPool.builder().blockedThreshold(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Busy-waits (no sleep) for at least 600 ms and until {@code reported} (bounded): a blocked loop. */
    static long spinningCallback(CountDownLatch reported) {
        long t0 = System.nanoTime();
        long minimum = TimeUnit.MILLISECONDS.toNanos(600);
        long bound = TimeUnit.SECONDS.toNanos(T);
        long ran;
        while ((ran = System.nanoTime() - t0) < minimum || (reported.getCount() > 0 && ran < bound)) {
            Thread.onSpinWait();
        }
        return ran;
    }

    static long spin(long nanos) {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < nanos) {
            Thread.onSpinWait();
        }
        return nanos;
    }

    private static Thread thread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst().orElse(null);
    }
}
