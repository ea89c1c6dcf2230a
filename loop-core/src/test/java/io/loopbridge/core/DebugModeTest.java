package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.testing.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debug mode, as asyncio's: {@code loop.set_debug(True); loop.slow_callback_duration = 0.02} and a callback
 * that runs 30 ms logs "Executing <Handle ...> took 0.030 seconds"; handles keep their source traceback.
 */
@Timeout(30)
class DebugModeTest {
    private static final Duration THRESHOLD = Duration.ofMillis(20);

    private final EventLoop loop = EventLoop.builder().name("debugged").slowCallbackDuration(THRESHOLD).build();

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    private void runOneIteration() {
        loop.callSoon(loop::stop);
        loop.runForever();
    }

    /** Holds the loop thread for {@code d}: the slow callback under test (measured, not slept). */
    private static void busyFor(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    private static final class Named implements Runnable {
        private final String name;
        private final Runnable body;

        Named(String name, Runnable body) {
            this.name = name;
            this.body = body;
        }

        @Override
        public void run() {
            body.run();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @Test
    void aSlowCallbackIsCountedAndLoggedWithItsNameDurationAndOrigin() {
        loop.setDebug(true);
        assertThat(loop.isDebug()).isTrue();
        loop.callSoon(new Named("the-slow-one", () -> busyFor(THRESHOLD.plusMillis(10))));
        loop.callSoon(new Named("the-quick-one", () -> { }));
        try (LogCapture logs = new LogCapture()) {
            runOneIteration();
            String text = logs.text();
            assertThat(text).contains("Executing Handle[the-slow-one] took", " ms [loop debugged]",
                    "scheduled here", "aSlowCallbackIsCountedAndLoggedWithItsNameDurationAndOrigin");
            assertThat(text).doesNotContain("the-quick-one");
        }
        assertThat(loop.stats().slowCallbacks()).isEqualTo(1);
    }

    /*
     * execute queues no handle, but in debug mode it gets one after all: named, with its origin. One queued
     * before debug mode was on is still named when it is slow.
     */
    @Test
    void aSlowCommandGivenToExecuteIsLoggedWithItsName() {
        loop.execute(new Named("queued-before-debug", () -> busyFor(THRESHOLD.plusMillis(10))));
        loop.setDebug(true);
        loop.execute(new Named("queued-in-debug", () -> busyFor(THRESHOLD.plusMillis(10))));
        try (LogCapture logs = new LogCapture()) {
            runOneIteration();
            assertThat(logs.text()).contains("Executing queued-before-debug took", "Executing Handle[queued-in-debug] took",
                    "scheduled here", "aSlowCommandGivenToExecuteIsLoggedWithItsName");
        }
        assertThat(loop.stats().slowCallbacks()).isEqualTo(2);
    }

    @Test
    void slowCallbacksAreNotTimedOutsideDebugMode() {
        loop.callSoon(() -> busyFor(THRESHOLD.plusMillis(10)));
        runOneIteration();
        assertThat(loop.stats().slowCallbacks()).isZero();
    }

    @Test
    void theThresholdCanBeChangedAndIsValidated() {
        loop.setDebug(true);
        loop.setSlowCallbackDuration(Duration.ofHours(1));
        assertThat(loop.getSlowCallbackDuration()).isEqualTo(Duration.ofHours(1));
        loop.callSoon(() -> busyFor(THRESHOLD.plusMillis(10)));
        runOneIteration();
        assertThat(loop.stats().slowCallbacks()).isZero();
        assertThatThrownBy(() -> loop.setSlowCallbackDuration(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.setSlowCallbackDuration(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void handlesRememberWhereTheyWereScheduledInDebugModeOnly() throws Exception {
        Handle plain = loop.callSoon(() -> { });
        assertThat(plain.origin()).isNull();

        loop.setDebug(true);
        List<Handle> handles = new ArrayList<>();
        handles.add(loop.callSoon(() -> { }));
        handles.add(loop.callLater(Duration.ofHours(1), () -> { }));
        handles.add(loop.callAt(loop.time(), () -> { }));
        handles.add(loop.callSoonThreadsafe(() -> { }));
        Thread other = Thread.ofPlatform().start(() -> handles.add(loop.callSoonThreadsafe(() -> { })));
        other.join();
        assertThat(handles).hasSize(5).allSatisfy(h -> assertThat(h.origin()).isNotNull());
        for (Handle h : handles.subList(0, 4)) {
            assertThat(Arrays.stream(h.origin().getStackTrace()).map(StackTraceElement::getMethodName))
                    .contains("handlesRememberWhereTheyWereScheduledInDebugModeOnly");
        }
    }

    @Test
    void errorsOfADebugLoopShowWhereTheCallbackWasScheduled() {
        loop.setDebug(true);
        loop.callSoon(new Named("the-failing-one", () -> {
            throw new IllegalStateException("failed in debug");
        }));
        try (LogCapture logs = new LogCapture()) {
            runOneIteration();
            assertThat(logs.text()).contains("Exception in callback Handle[the-failing-one]", "scheduled here",
                    "errorsOfADebugLoopShowWhereTheCallbackWasScheduled", "failed in debug");
        }
    }

    @Test
    void theSystemPropertyTurnsDebugOnForNewLoops() {
        String before = System.getProperty("loopbridge.debug");
        System.setProperty("loopbridge.debug", "true");
        EventLoop debugged;
        try {
            debugged = EventLoop.create();
        } finally {
            if (before == null) {
                System.clearProperty("loopbridge.debug");
            } else {
                System.setProperty("loopbridge.debug", before);
            }
        }
        try {
            assertThat(debugged.isDebug()).isTrue();
            assertThat(debugged.callSoon(() -> { }).origin()).isNotNull();
        } finally {
            debugged.close();
        }
        EventLoop plain = EventLoop.create();
        plain.close();
        assertThat(plain.isDebug()).isEqualTo(Boolean.getBoolean("loopbridge.debug"));
    }
}
