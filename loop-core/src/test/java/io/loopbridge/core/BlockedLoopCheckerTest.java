package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.testing.LogCapture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The watchdog on a plain loop (LoopPool's own use is tested in the bridge module). */
@Timeout(30)
class BlockedLoopCheckerTest {
    private static final Duration THRESHOLD = Duration.ofMillis(100);

    @Test
    void withoutAHandlerABlockedLoopIsAWarnWithTheStackAndAnIdleLoopIsNeverBlocked() throws Exception {
        EventLoop loop = EventLoop.builder().name("plain").build();
        try (LoopThread lt = new LoopThread(loop);
             BlockedLoopChecker checker = new BlockedLoopChecker("plain-watchdog", THRESHOLD);
             LogCapture logs = new LogCapture()) {
            checker.watch(loop);
            // Idle (parked) for 5 thresholds: waiting for work is not being blocked. The delay is computed here:
            // Duration.multipliedBy's first call initialises BigDecimal, which took a loaded machine over
            // 100 ms inside the callback (a real, if self-inflicted, blocked episode).
            Duration idle = THRESHOLD.multipliedBy(5);
            CompletableFuture<Void> timer = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> loop.callLater(idle, () -> timer.complete(null)));
            timer.get(10, TimeUnit.SECONDS);
            assertThat(loop.stats().blockedEpisodes()).isZero();

            boolean sawBlocked = lt.call(() -> spinUntilBlocked(loop));
            assertThat(sawBlocked).as("the loop saw itself reported blocked while it spun").isTrue();
            assertThat(loop.stats().blockedEpisodes()).isEqualTo(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!logs.text().contains("spinUntilBlocked") && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait(); // the state is set just before the report is logged: bounded poll
            }
            assertThat(logs.text()).contains("WARN").contains("Event loop 'plain' is blocked: one callback")
                    .contains("spinUntilBlocked")
                    .doesNotContain("ERROR"); // no handler: the WARN is the report, not a second ERROR
        }
        assertThat(loop.stats().isBlocked()).isFalse();
    }

    @Test
    void aLongEpisodeIsReportedOnceAndItsStackLoggedAgainWhileItLasts() throws Exception {
        java.util.concurrent.atomic.AtomicInteger reports = new java.util.concurrent.atomic.AtomicInteger();
        EventLoop loop = EventLoop.builder().name("long").exceptionHandler((l, c) -> reports.incrementAndGet()).build();
        try (LoopThread lt = new LoopThread(loop);
             BlockedLoopChecker checker = new BlockedLoopChecker("long-watchdog", THRESHOLD, TimeUnit.MILLISECONDS.toNanos(100));
             LogCapture logs = new LogCapture()) {
            checker.watch(loop);
            // Spins until the stack has been logged again twice (bounded): one episode all along.
            lt.call(() -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (logs.count("(still blocked)") < 2 && System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
                return null;
            });
            assertThat(logs.count("(still blocked)")).isGreaterThanOrEqualTo(2);
            assertThat(reports.get()).as("reported once per episode").isEqualTo(1);
            assertThat(loop.stats().blockedEpisodes()).isEqualTo(1);
            assertThat(logs.text()).contains("aLongEpisodeIsReportedOnce");
        }
    }

    /** A default-named task's thread is unnamed (Task-N is built on demand): the report still names both. */
    @Test
    void aBlockedCoroutineStepIsReportedWithItsTaskName() throws Exception {
        CompletableFuture<String> report = new CompletableFuture<>();
        EventLoop loop = EventLoop.builder().name("steps").exceptionHandler((l, c) -> report.complete(c.message()))
                .build();
        try (LoopThread lt = new LoopThread(loop);
             BlockedLoopChecker checker = new BlockedLoopChecker("steps-watchdog", THRESHOLD);
             LogCapture logs = new LogCapture()) {
            checker.watch(loop);
            Task<Boolean> spinner = lt.call(() -> loop.createTask(() -> spinUntilBlocked(loop)));
            assertThat(report.get(10, TimeUnit.SECONDS))
                    .contains("Event loop 'steps' is blocked: a coroutine step of task 'Task-1'")
                    .contains("on thread 'Task-1'");
            // logged before the handler is called: a WARN besides the handler's report
            assertThat(logs.text()).contains("WARN io.loopbridge.core.BlockedLoopChecker - Event loop 'steps' is blocked:"
                    + " a coroutine step of task 'Task-1'", "spinUntilBlocked");
            assertThat(lt.call(spinner::result)).isTrue();
        }
    }

    @Test
    void closingTheCheckerEndsItsThreadAndAClosedLoopIsDropped() throws Exception {
        EventLoop loop = EventLoop.create();
        BlockedLoopChecker checker = new BlockedLoopChecker("short-lived-watchdog", THRESHOLD);
        checker.watch(loop);
        loop.close();
        Thread t = Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().equals("short-lived-watchdog")).findFirst().orElseThrow();
        assertThat(t.isDaemon()).isTrue();
        checker.close();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(checker.threshold()).isEqualTo(THRESHOLD);
        assertThatThrownBy(() -> new BlockedLoopChecker("x", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> checker.watch(null)).isInstanceOf(NullPointerException.class);
    }

    /** Busy-waits until the watchdog marks this loop blocked (bounded): true if it did. */
    private static boolean spinUntilBlocked(EventLoop loop) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!loop.stats().isBlocked()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }
}
