package io.loopbridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.LogCapture;
import io.loopbridge.testing.Promtool;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoopPoolMetricsTest {

    /** 1,000 tasks complete, 10 fail, 5 are cancelled (by their callers), one callback is slow. */
    private static void knownWorkload(LoopPool pool) throws Exception {
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int k = i;
            all.add(pool.submit(() -> k));
        }
        for (int i = 0; i < 10; i++) {
            all.add(pool.submit(() -> {
                throw new IllegalStateException("boom");
            }));
        }
        CountDownLatch started = new CountDownLatch(5);
        List<CompletableFuture<Object>> doomed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            doomed.add(pool.submit(() -> {
                started.countDown();
                Aio.sleep(Duration.ofHours(1));
                return null;
            }));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        doomed.forEach(f -> f.cancel(true));
        all.addAll(doomed);
        EventLoop loop = pool.loops().getFirst();
        pool.submit(() -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
            while (System.nanoTime() < end) {
                Thread.onSpinWait(); // a deliberately slow step
            }
            return loop.name();
        }).get(10, TimeUnit.SECONDS);
        for (CompletableFuture<?> f : all) {
            try {
                f.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | CancellationException expected) {
                // failed or cancelled ones
            }
        }
    }

    private static double tasks(MeterRegistry r, String pool, String outcome) {
        return r.find("loopbridge.loop.tasks").tag("pool", pool).tag("outcome", outcome).functionCounters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    @Test
    void everyLoopOfThePoolIsTaggedAndCountsAddUp() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // A 5 ms threshold in debug mode: on a loaded machine any callback may be slow and warned about,
        // so the log is captured for the pool's whole life.
        try (LogCapture logs = new LogCapture()) {
            LoopPool pool = LoopPool.builder().name("p1").loops(2).debug(true)
                    .slowCallbackDuration(Duration.ofMillis(5)).exceptionHandler((l, c) -> { }).build();
            LoopPoolMetrics metrics = new LoopPoolMetrics(pool);
            metrics.bindTo(registry);
            knownWorkload(pool);
            // debug mode: the slow step is also a WARN
            assertThat(logs.text()).containsPattern(
                    "WARN io.loopbridge.core.EventLoop - Executing step of Task\\[[^\\]]*] took [0-9.]+ ms \\[loop p1-loop-[01]]");
            // loop stats are published at the end of each iteration: ask each loop once more to be sure
            for (EventLoop loop : pool.loops()) {
                pool.submit(() -> null);
                io.loopbridge.bridge.Bridge.callSoonThreadsafe(loop, () -> null).get(10, TimeUnit.SECONDS);
            }
            for (EventLoop loop : pool.loops()) {
                assertThat(registry.find("loopbridge.loop.tasks").tag("loop", loop.name()).tag("pool", "p1")
                        .functionCounters()).hasSize(3);
            }
            assertThat(tasks(registry, "p1", "completed")).isGreaterThanOrEqualTo(1001);
            assertThat(tasks(registry, "p1", "failed")).isEqualTo(10);
            assertThat(tasks(registry, "p1", "cancelled")).isEqualTo(5);
            assertThat(registry.find("loopbridge.loop.slow.callbacks").tag("pool", "p1").functionCounters().stream()
                    .mapToDouble(c -> c.count()).sum()).isGreaterThanOrEqualTo(1);
            assertThat(registry.get("loopbridge.bridge.submitted").tag("pool", "p1").functionCounter().count())
                    .isGreaterThanOrEqualTo(1016);
            assertThat(registry.get("loopbridge.bridge.rejected").tag("pool", "p1").functionCounter().count()).isZero();
            // One round trip in 16 is timed: of 1,016, 63.5 on average (a count under 20 is 5.6 sigma away).
            assertThat(registry.get("loopbridge.bridge.roundtrip").tag("pool", "p1").timer().count())
                    .isGreaterThanOrEqualTo(20L)
                    .isLessThanOrEqualTo((long) registry.get("loopbridge.bridge.submitted").tag("pool", "p1")
                            .functionCounter().count());

            pool.shutdownGracefully(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        }
        assertThat(registry.find("loopbridge.loop.tasks").tag("pool", "p1").meters()).isEmpty();
        assertThat(registry.getMeters()).as("a shut-down pool's meters are removed").isEmpty();

        LoopPool again = LoopPool.builder().name("p1").loops(1).build();
        try (LoopPoolMetrics m2 = new LoopPoolMetrics(again)) {
            m2.bindTo(registry);
            again.submit(() -> 1).get(10, TimeUnit.SECONDS);
            assertThat(registry.find("loopbridge.loop.tasks").tag("pool", "p1").functionCounters()).hasSize(3);
        } finally {
            again.close();
        }
    }

    @Test
    void prometheusScrapeOfAPoolPassesPromtool() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (LoopPool pool = LoopPool.builder().name("api").loops(2).exceptionHandler((l, c) -> { }).build();
             LoopPoolMetrics metrics = new LoopPoolMetrics(pool)) {
            metrics.bindTo(registry);
            knownWorkload(pool);
            String text = registry.scrape();
            assertThat(text).contains("loopbridge_bridge_submitted_total{pool=\"api\"}")
                    .contains("loopbridge_bridge_rejected_total{pool=\"api\"} 0")
                    .contains("loopbridge_bridge_roundtrip_seconds_bucket{pool=\"api\",le=")
                    .containsPattern("loopbridge_loop_tasks_total\\{loop=\"[^\"]+\",outcome=\"failed\",pool=\"api\"}");
            Promtool.assertLintClean(text);
        }
    }

    @Test
    void theBlockedGaugeIsOneWhileTheWatchdogSeesABlockedLoopAndTheCounterCountsEpisodes() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (LogCapture logs = new LogCapture();
             LoopPool pool = LoopPool.builder().loops(2).name("wd").blockedThreshold(Duration.ofMillis(200))
                .exceptionHandler((l, c) -> { }).build();
             LoopPoolMetrics metrics = new LoopPoolMetrics(pool)) {
            metrics.bindTo(registry);
            EventLoop loop = pool.loops().getFirst();
            String tag = "loop", name = loop.name();
            assertThat(registry.get("loopbridge.loop.blocked.now").tag(tag, name).gauge().value()).isZero();
            CountDownLatch seen = new CountDownLatch(1);
            CompletableFuture<Void> spin = new CompletableFuture<>();
            loop.execute(() -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (seen.getCount() > 0 && System.nanoTime() < end) {
                    Thread.onSpinWait(); // blocks the loop until the gauge was seen at 1 (bounded)
                }
                spin.complete(null);
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (registry.get("loopbridge.loop.blocked.now").tag(tag, name).gauge().value() != 1
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(registry.get("loopbridge.loop.blocked.now").tag(tag, name).gauge().value()).isEqualTo(1);
            assertThat(registry.scrape()).contains("loopbridge_loop_blocked_now{loop=\"" + name + "\",pool=\"wd\"} 1")
                    .contains("loopbridge_loop_blocked_total{loop=\"" + name + "\",pool=\"wd\"} 1");
            seen.countDown();
            spin.get(10, TimeUnit.SECONDS);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (registry.get("loopbridge.loop.blocked.now").tag(tag, name).gauge().value() != 0
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(registry.get("loopbridge.loop.blocked.now").tag(tag, name).gauge().value()).isZero();
            assertThat(registry.get("loopbridge.loop.blocked").tag(tag, name).functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("loopbridge.loop.blocked").tag(tag, "wd-loop-1").functionCounter().count()).isZero();
            Promtool.assertLintClean(registry.scrape());
            assertThat(logs.text()).as("the watchdog's own report").contains(
                    "WARN io.loopbridge.core.BlockedLoopChecker - Event loop 'wd-loop-0' is blocked: one callback");
        }
    }

    /** A replaced loop's meters go with it and its replacement's arrive: a scrape shows the loops serving. */
    @Test
    void aReplacementLoopIsMeteredAndTheDeadOneIsNot() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (LoopPool pool = LoopPool.builder().loops(2).name("phoenix").replaceDeadLoops(true)
                .exceptionHandler((loop, ctx) -> { }).build();
             LoopPoolMetrics metrics = new LoopPoolMetrics(pool)) {
            metrics.bindTo(registry);
            EventLoop doomed = pool.loops().getFirst();
            Thread doomedThread = Bridge.callSoonThreadsafe(doomed, Thread::currentThread).get(10, TimeUnit.SECONDS);
            doomed.callSoonThreadsafe(() -> {
                throw new InternalError("injected");
            });
            doomedThread.join(10_000); // the dying thread starts the replacement and tells the hooks before it ends
            assertThat(doomedThread.isAlive()).isFalse();
            EventLoop replacement = pool.loops().getFirst();
            assertThat(replacement).isNotSameAs(doomed);
            assertThat(Bridge.runCoroutineThreadsafe(() -> 42, replacement).get(10, TimeUnit.SECONDS)).isEqualTo(42);
            assertThat(loopsTagged(registry)).containsExactlyInAnyOrder(replacement.name(), pool.loops().get(1).name());
        }
        assertThat(loopsTagged(registry)).as("after the pool terminated").isEmpty();
    }

    private static Set<String> loopsTagged(MeterRegistry registry) {
        Set<String> loops = new TreeSet<>();
        registry.getMeters().forEach(m -> {
            String loop = m.getId().getTag("loop");
            if (loop != null) {
                loops.add(loop);
            }
        });
        return loops;
    }
}
