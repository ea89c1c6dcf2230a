package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's examples, as written there, run and do what the README says. */
@Timeout(60)
class ReadmeExamplesTest {

    @Test
    void aFirstCoroutine() throws Exception {
        String greeting = Aio.run(() -> {
            Task<String> world = Aio.createTask(() -> Aio.sleep(Duration.ofMillis(10), "world"));
            Aio.sleep(Duration.ZERO);
            return "hello " + world.await();
        });
        assertThat(greeting).isEqualTo("hello world");
    }

    @Test
    void bridgesAndMetrics() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LoopPool pool = LoopPool.builder().name("api").loops(2)
                .maxPendingSubmissions(10_000, LoopPool.WhenFull.CALLER_BLOCKS, Duration.ofSeconds(1))
                .build();
        LoopPoolMetrics metrics = new LoopPoolMetrics(pool);
        metrics.bindTo(registry);
        EventLoop otherLoop = pool.loops().get(1);

        CompletableFuture<String> cf = pool.submit(() -> {
            Aio.sleep(Duration.ofMillis(50));
            return "done";
        });
        assertThat(cf.get(5, TimeUnit.SECONDS)).isEqualTo("done");

        String combined = pool.submit(() -> {
            String page = Bridge.toThread(() -> "page from a blocking client").await();
            int n = Bridge.runOn(otherLoop, () -> 42).await();
            return page + " " + n;
        }).get(5, TimeUnit.SECONDS);
        assertThat(combined).isEqualTo("page from a blocking client 42");

        ExecutorService es = pool.asExecutorService();
        assertThat(es.submit(() -> 7).get(5, TimeUnit.SECONDS)).isEqualTo(7);

        assertThat(registry.scrape()).contains("loopbridge_loop_tasks_total{loop=\"api-loop-0\"");
        pool.close();
        assertThat(pool.isTerminated()).isTrue();
        assertThat(registry.scrape()).doesNotContain("loopbridge_loop_tasks_total");
    }
}
