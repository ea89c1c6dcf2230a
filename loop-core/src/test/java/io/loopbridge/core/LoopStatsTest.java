package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plain counters behind the loop's metrics, after workloads whose counts are known. */
@Timeout(30)
class LoopStatsTest {
    private final EventLoop loop = EventLoop.builder().name("counted").build();

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    private void runOneIteration() {
        loop.callSoon(loop::stop);
        loop.runForever();
    }

    @Test
    void aFreshLoopCountsNothing() {
        LoopStats s = loop.stats();
        assertThat(new long[] {s.callbacks(), s.busyNanos(), s.slowCallbacks(), s.readyCount(), s.timerCount(),
                s.inboxCount(), s.activeTasks(), s.tasksCompleted(), s.tasksFailed(), s.tasksCancelled()})
                .containsOnly(0);
    }

    @Test
    void countersAfterAKnownWorkload() {
        long[] sink = {0};
        for (int i = 0; i < 10; i++) {
            loop.callSoon(() -> {
                for (int k = 0; k < 10_000; k++) {
                    sink[0] += k; // some work, so busy time is measurable
                }
            });
        }
        loop.callSoon(() -> { }).cancel(); // a cancelled callback does not run and is not counted
        loop.callSoon(() -> {
            throw new IllegalStateException("a failing callback still ran");
        });
        loop.setExceptionHandler((l, c) -> { });
        // The last callback of the batch leaves 3 callbacks ready and 2 timers pending, and stops the loop.
        loop.callSoon(() -> {
            for (int i = 0; i < 3; i++) {
                loop.callSoon(() -> { });
            }
            loop.callLater(Duration.ofHours(1), () -> { });
            loop.callLater(Duration.ofHours(2), () -> { });
            loop.stop();
        });
        loop.runForever();

        LoopStats s = loop.stats();
        assertThat(s.callbacks()).isEqualTo(12);
        assertThat(s.busyNanos()).isPositive();
        assertThat(s.readyCount()).isEqualTo(3);
        assertThat(s.timerCount()).isEqualTo(2);
        assertThat(s.slowCallbacks()).isZero();
        long busy = s.busyNanos();

        runOneIteration();
        assertThat(s.callbacks()).isEqualTo(12 + 3 + 1);
        assertThat(s.readyCount()).isZero();
        assertThat(s.timerCount()).isEqualTo(2);
        assertThat(s.busyNanos()).isGreaterThanOrEqualTo(busy);
        assertThat(sink[0]).isPositive();
    }

    @Test
    void countersAreReadableFromAnotherThreadWhileTheLoopRuns() throws Exception {
        try (LoopThread lt = new LoopThread(loop)) {
            for (int i = 0; i < 100; i++) {
                lt.call(() -> null);
            }
            // Our 100 callbacks (and LoopThread's start-up one) have run; the count is at most one iteration old.
            assertThat(loop.stats().callbacks()).isGreaterThanOrEqualTo(100);
        }
    }

    /**
     * The lag keeps being sampled while several threads flood the inbox, through callSoonThreadsafe and through
     * execute (which queues one shared Runnable many times over): each stamped submission is found when the loop
     * drains it, wherever in a drain it lands.
     */
    @Test
    void lagSamplingGoesOnUnderAFloodFromManyThreads() throws Exception {
        java.util.concurrent.atomic.AtomicInteger samples = new java.util.concurrent.atomic.AtomicInteger();
        io.loopbridge.core.spi.LoopSpi.setLagRecorder(loop, nanos -> samples.incrementAndGet());
        try (LoopThread _ = new LoopThread(loop)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            java.util.List<Thread> producers = new java.util.ArrayList<>();
            Runnable shared = () -> { };
            for (int p = 0; p < 4; p++) {
                boolean viaExecute = p % 2 == 1;
                producers.add(Thread.ofPlatform().start(() -> {
                    // Batches of 1,000, each waited for: as fast as the loop runs them, never a growing backlog.
                    while (samples.get() < 200 && System.nanoTime() - deadline < 0) {
                        CompletableFuture<Void> batch = new CompletableFuture<>();
                        for (int i = 0; i < 999; i++) {
                            if (viaExecute) {
                                loop.execute(shared);
                            } else {
                                loop.callSoonThreadsafe(() -> { });
                            }
                        }
                        loop.callSoonThreadsafe(() -> batch.complete(null));
                        batch.join();
                    }
                }));
            }
            for (Thread t : producers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(samples.get()).as("lag samples, at most one a millisecond, during the flood").isGreaterThanOrEqualTo(200);
        } finally {
            io.loopbridge.core.spi.LoopSpi.setLagRecorder(loop, null);
        }
    }

    @Test
    void theLagRecorderGetsSamplesForThreadsafeSubmissionsAndTimers() throws Exception {
        CopyOnWriteArrayList<Long> samples = new CopyOnWriteArrayList<>();
        CopyOnWriteArrayList<Thread> recordedOn = new CopyOnWriteArrayList<>();
        io.loopbridge.core.spi.LoopSpi.setLagRecorder(loop, nanos -> {
            samples.add(nanos);
            recordedOn.add(Thread.currentThread());
        });
        try (LoopThread lt = new LoopThread(loop)) {
            samples.clear(); // LoopThread's own start-up submission may have been sampled
            CompletableFuture<Void> ran = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> loop.callSoonThreadsafe(() -> ran.complete(null))).join();
            ran.get(10, TimeUnit.SECONDS);
            assertThat(samples).as("one sample for the thread-safe submission").hasSize(1);
            assertThat(samples.get(0)).isNotNegative().isLessThan(TimeUnit.SECONDS.toNanos(10));

            // A timer: its lag is measured from its deadline.
            CompletableFuture<Long> timerLag = new CompletableFuture<>();
            lt.call(() -> {
                samples.clear();
                return loop.callLater(Duration.ofMillis(5), () -> timerLag.complete(samples.isEmpty() ? -1L
                        : samples.get(samples.size() - 1)));
            });
            long lag = timerLag.get(10, TimeUnit.SECONDS);
            assertThat(lag).as("a sample was recorded before the timer ran").isNotNegative()
                    .isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(recordedOn).containsOnly(lt.thread);

            io.loopbridge.core.spi.LoopSpi.setLagRecorder(loop, null);
            lt.call(() -> {
                samples.clear();
                return null;
            });
        }
        assertThat(samples).as("no samples once the recorder is removed").isEmpty();
    }

    @Test
    void inboxCountSeesSubmissionsNotYetTaken() throws Exception {
        for (int i = 0; i < 5; i++) {
            Thread.ofPlatform().start(() -> loop.callSoonThreadsafe(() -> { })).join();
        }
        assertThat(loop.stats().inboxCount()).isEqualTo(5);
        runOneIteration();
        assertThat(loop.stats().inboxCount()).isZero();
        assertThat(loop.stats().callbacks()).isEqualTo(6);
    }
}
