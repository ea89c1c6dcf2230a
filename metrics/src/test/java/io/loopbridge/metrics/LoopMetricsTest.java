package io.loopbridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.testing.LogCapture;
import io.loopbridge.testing.Promtool;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoopMetricsTest {

    /** 1,000 tasks complete, 10 fail, 5 are cancelled, one callback is slow; 100 thread-safe submissions. */
    private static EventLoop runKnownWorkload(String name) throws Exception {
        EventLoop loop = EventLoop.builder().name(name).debug(true).slowCallbackDuration(Duration.ofMillis(5)).build();
        loop.setExceptionHandler((l, ctx) -> { });
        LoopFuture<Void> done = loop.createFuture();
        List<Task<?>> tasks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            tasks.add(loop.createTask(() -> 1));
        }
        for (int i = 0; i < 10; i++) {
            tasks.add(loop.createTask(() -> {
                throw new IllegalStateException("boom");
            }));
        }
        LoopFuture<Void> never = loop.createFuture();
        for (int i = 0; i < 5; i++) {
            Task<Void> t = loop.createTask(never::await);
            tasks.add(t);
            loop.callSoon(() -> t.cancel("test"));
        }
        loop.callSoon(() -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
            while (System.nanoTime() < end) {
                Thread.onSpinWait(); // a deliberately slow callback
            }
        });
        loop.callLater(Duration.ofMillis(1), () -> { });
        CountDownLatch submitted = new CountDownLatch(1);
        loop.callSoon(() -> {
            Thread producer = new Thread(() -> {
                for (int i = 0; i < 100; i++) {
                    loop.callSoonThreadsafe(() -> { });
                }
                loop.callSoonThreadsafe(() -> done.setResult(null));
                submitted.countDown();
            });
            producer.start();
        });
        try (LogCapture logs = new LogCapture()) {
            loop.runUntilComplete(done);
            // let every task finish
            LoopFuture<Void> settled = loop.createFuture();
            loop.callLater(Duration.ofMillis(20), () -> settled.setResult(null));
            loop.runUntilComplete(settled);
            // debug mode: the slow callback is also a WARN, with where it was scheduled
            assertThat(logs.text()).contains("WARN io.loopbridge.core.EventLoop - Executing Handle[",
                    "[loop " + name + "]", "java.lang.Throwable: scheduled here", "at " + LoopMetricsTest.class.getName());
        }
        for (Task<?> t : tasks) {
            assertThat(t.isDone()).isTrue();
            if (!t.isCancelled()) {
                t.exception();
            }
        }
        return loop;
    }

    private static double count(MeterRegistry r, String name, String... tags) {
        return r.get(name).tags(tags).functionCounter().count();
    }

    @Test
    void everyMeterHasTheLoopTagAndTheWorkloadsValues() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EventLoop loop = EventLoop.builder().name("m1").build();
        LoopMetrics first = new LoopMetrics(loop, Tags.of("app", "test"));
        first.bindTo(registry);
        assertThat(registry.find("loopbridge.loop.tasks").tag("loop", "m1").meters()).hasSize(3);
        loop.close();
        assertThat(registry.getMeters()).as("a closed loop's meters are removed").isEmpty();
        EventLoop worked = runKnownWorkload("m2");
        try (LoopMetrics metrics = new LoopMetrics(worked, Tags.of("app", "test"))) {
            metrics.bindTo(registry);
            // bound after the workload: counters are cumulative, read at scrape time
            assertThat(count(registry, "loopbridge.loop.tasks", "loop", "m2", "outcome", "completed")).isEqualTo(1000);
            assertThat(count(registry, "loopbridge.loop.tasks", "loop", "m2", "outcome", "failed")).isEqualTo(10);
            assertThat(count(registry, "loopbridge.loop.tasks", "loop", "m2", "outcome", "cancelled")).isEqualTo(5);
            assertThat(count(registry, "loopbridge.loop.slow.callbacks", "loop", "m2")).isGreaterThanOrEqualTo(1);
            assertThat(count(registry, "loopbridge.loop.callbacks", "loop", "m2", "app", "test")).isGreaterThan(1115);
            assertThat(count(registry, "loopbridge.loop.busy", "loop", "m2")).isGreaterThan(0.010);
            assertThat(registry.get("loopbridge.loop.tasks.active").tag("loop", "m2").gauge().value()).isZero();
            assertThat(registry.get("loopbridge.loop.ready").tag("loop", "m2").gauge().value()).isZero();
            assertThat(registry.get("loopbridge.loop.inbox").tag("loop", "m2").gauge().value()).isZero();
            assertThat(registry.get("loopbridge.loop.timers").tag("loop", "m2").gauge().value()).isZero();
            assertThat(registry.find("loopbridge.loop.lag").tag("loop", "m2").timer()).isNotNull();
        }
        assertThat(registry.find("loopbridge.loop.tasks").tag("loop", "m2").meters()).isEmpty();
        assertThat(registry.getMeters()).isEmpty();
        worked.close();
    }

    @Test
    void lagIsRecordedWhileBound() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EventLoop loop = EventLoop.builder().name("lag").build();
        try (LoopMetrics metrics = new LoopMetrics(loop)) {
            metrics.bindTo(registry);
            LoopFuture<Void> done = loop.createFuture();
            loop.callLater(Duration.ofMillis(2), () -> { });
            loop.callLater(Duration.ofMillis(4), () -> {
                Thread t = new Thread(() -> loop.callSoonThreadsafe(() -> done.setResult(null)));
                t.start();
            });
            loop.runUntilComplete(done);
            assertThat(registry.get("loopbridge.loop.lag").tag("loop", "lag").timer().count()).isGreaterThanOrEqualTo(2); // sampled: >= 1 timer + 1 submission
        }
        loop.close();
    }

    @Test
    void prometheusScrapeHasEveryMeterWithUnitsAndTags() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EventLoop loop = runKnownWorkload("prom");
        try (LoopMetrics metrics = new LoopMetrics(loop)) {
            metrics.bindTo(registry);
            String text = registry.scrape();
            assertThat(text)
                    .contains("loopbridge_loop_tasks_total{loop=\"prom\",outcome=\"completed\"} 1000")
                    .contains("loopbridge_loop_tasks_total{loop=\"prom\",outcome=\"failed\"} 10")
                    .contains("loopbridge_loop_tasks_total{loop=\"prom\",outcome=\"cancelled\"} 5")
                    .contains("loopbridge_loop_busy_seconds_total{loop=\"prom\"}")
                    .contains("loopbridge_loop_callbacks_total{loop=\"prom\"}")
                    .contains("loopbridge_loop_slow_callbacks_total{loop=\"prom\"}")
                    .contains("loopbridge_loop_lag_seconds_bucket{loop=\"prom\",le=")
                    .contains("loopbridge_loop_ready{loop=\"prom\"} 0")
                    .contains("loopbridge_loop_inbox{loop=\"prom\"} 0")
                    .contains("loopbridge_loop_timers{loop=\"prom\"} 0")
                    .contains("loopbridge_loop_tasks_active{loop=\"prom\"} 0")
                    // the dashboard's I/O panels (deploy/grafana): 0 for a loop without I/O
                    .contains("loopbridge_loop_io_busy_seconds_total{loop=\"prom\"} 0")
                    .contains("loopbridge_loop_channels{loop=\"prom\"} 0");
            Promtool.assertLintClean(text);
        }
        loop.close();
    }
}
