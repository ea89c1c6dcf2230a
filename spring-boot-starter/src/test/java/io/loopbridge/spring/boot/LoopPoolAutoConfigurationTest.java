package io.loopbridge.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.loopbridge.testing.LogCapture;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class LoopPoolAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LoopPoolAutoConfiguration.class,
                    LoopPoolMetricsAutoConfiguration.class, LoopPoolHealthAutoConfiguration.class,
                    LoopTasksEndpointAutoConfiguration.class))
            .withPropertyValues("loopbridge.pool.loops=2", "loopbridge.pool.idle-spin=0s");

    @Test
    void theTwoPropertiesGiveAPoolThatRunsCoroutines() {
        runner.withPropertyValues("loopbridge.pool.loops=3", "loopbridge.pool.name=api").run(context -> {
            LoopPool pool = context.getBean(LoopPool.class);
            assertThat(pool.name()).isEqualTo("api");
            assertThat(pool.loops()).hasSize(3);
            assertThat(pool.submit(() -> Aio.sleep(Duration.ofMillis(1), "done")).get(10, TimeUnit.SECONDS))
                    .isEqualTo("done");
            assertThat(context).hasSingleBean(LoopPoolLifecycle.class);
        });
    }

    @Test
    void closingTheContextLetsRunningTasksFinishThenTerminatesThePool() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<CompletableFuture<String>> running = new AtomicReference<>();
        AtomicReference<LoopPool> pool = new AtomicReference<>();
        runner.run(context -> {
            pool.set(context.getBean(LoopPool.class));
            running.set(pool.get().submit(() -> {
                started.countDown();
                return Aio.sleep(Duration.ofMillis(200), "finished");
            }));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(pool.get().isTerminated()).isTrue();
        assertThat(running.get()).isCompletedWithValue("finished");
    }

    /**
     * A loop blocked for good cannot stop, so the pool cannot terminate; closing the context still returns, after
     * the cancellation timeout and a second, with a WARN naming the pool. The pool terminates once the loop is free.
     */
    @Test
    void closingTheContextDoesNotHangOnALoopBlockedForGood() throws Exception {
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<LoopPool> pool = new AtomicReference<>();
        try (LogCapture log = new LogCapture()) {
            runner.withPropertyValues("loopbridge.pool.loops=1", "loopbridge.pool.shutdown-grace=0s",
                    "loopbridge.pool.cancellation-timeout=100ms").run(context -> {
                        pool.set(context.getBean(LoopPool.class));
                        Bridge.callSoonThreadsafe(pool.get().loops().getFirst(), () -> {
                            blocking.countDown();
                            return release.await(60, TimeUnit.SECONDS); // blocks the loop on purpose
                        });
                        assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
                    });
            assertThat(pool.get().isTerminated()).as("the pool, while its loop is blocked").isFalse();
            assertThat(log.text()).contains("LoopPool 'loopbridge' did not terminate within PT1.1S");
        } finally {
            release.countDown();
        }
        pool.get().terminationFuture().get(10, TimeUnit.SECONDS);
        assertThat(pool.get().isTerminated()).isTrue();
    }

    @Test
    void thePoolStopsAfterTheWebServerWithinSpringsPhaseTimeout() {
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=3s",
                "loopbridge.pool.shutdown-grace=10s", "loopbridge.pool.cancellation-timeout=1s").run(context -> {
            LoopPoolLifecycle lifecycle = context.getBean(LoopPoolLifecycle.class);
            // Boot's web server: graceful shutdown in DEFAULT_PHASE - 1024, stop in DEFAULT_PHASE - 2048.
            assertThat(lifecycle.getPhase()).isLessThan(SmartLifecycle.DEFAULT_PHASE - 2048);
            assertThat(lifecycle.grace()).isEqualTo(Duration.ofSeconds(2));
            assertThat(lifecycle.isRunning()).isTrue();
        });
    }

    @Test
    void anApplicationsOwnPoolReplacesTheAutoConfiguredOneAndIsStillManaged() {
        runner.withUserConfiguration(OwnPool.class).run(context -> {
            assertThat(context).hasSingleBean(LoopPool.class);
            assertThat(context.getBean(LoopPool.class).name()).isEqualTo("own");
            assertThat(context.getBean(LoopPoolLifecycle.class).pool().name()).isEqualTo("own");
            assertThat(context).hasSingleBean(LoopPoolHealthIndicator.class);
        });
    }

    @Test
    void withoutTheActuatorThereIsAPoolButNoHealthNorEndpoint() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
                "org.springframework.boot.health", "org.springframework.boot.micrometer")).run(context -> {
                    assertThat(context).hasSingleBean(LoopPool.class).hasSingleBean(LoopPoolLifecycle.class);
                    assertThat(context).doesNotHaveBean(LoopPoolHealthIndicator.class)
                            .doesNotHaveBean(LoopTasksEndpoint.class).doesNotHaveBean(LoopPoolMetrics.class);
                });
    }

    @Test
    void withoutAMeterRegistryNoMetricsAreBound() {
        runner.run(context -> assertThat(context).doesNotHaveBean(LoopPoolMetrics.class));
    }

    @Test
    void theApplicationsMeterRegistryGetsEveryLoopsMeters() {
        runner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class))
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.find("loopbridge.bridge.submitted").tag("pool", "loopbridge").meter())
                            .isNotNull();
                    assertThat(registry.find("loopbridge.loop.callbacks").tag("loop", "loopbridge-loop-0").meters()
                            .size() + registry.find("loopbridge.loop.callbacks").tag("loop", "loopbridge-loop-1")
                                    .meters().size()).isEqualTo(2);
                });
    }

    @Test
    void theTasksEndpointIsThereWhenExposed() {
        runner.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
                .withPropertyValues("management.endpoints.web.exposure.include=looptasks").run(context -> {
                    LoopTasksEndpoint.PoolTasks tasks = context.getBean(LoopTasksEndpoint.class).tasks();
                    assertThat(tasks.pool()).isEqualTo("loopbridge");
                    assertThat(tasks.loops()).extracting(LoopTasksEndpoint.LoopTasks::loop)
                            .containsExactly("loopbridge-loop-0", "loopbridge-loop-1");
                });
    }

    @Test
    void theTasksEndpointListsAPendingTaskWithItsStack() {
        runner.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
                .withPropertyValues("management.endpoints.web.exposure.include=looptasks",
                        "loopbridge.pool.loops=1").run(context -> {
                    LoopPool pool = context.getBean(LoopPool.class);
                    CountDownLatch started = new CountDownLatch(1);
                    CompletableFuture<Object> waiting = pool.submit(() -> {
                        started.countDown();
                        return Aio.sleep(Duration.ofMinutes(1), null);
                    });
                    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
                    LoopTasksEndpoint.LoopTasks loop = context.getBean(LoopTasksEndpoint.class).tasks().loops()
                            .getFirst();
                    assertThat(loop.error()).isNull();
                    assertThat(loop.tasks()).hasSize(1);
                    assertThat(loop.tasks().getFirst().stack()).isNotEmpty();
                    assertThat(loop.tasks().getFirst().ageMs()).isNotNegative();
                    waiting.cancel(true);
                });
    }

    @Test
    void healthIsDownNamingABlockedLoop() throws Exception {
        runner.withPropertyValues("loopbridge.pool.loops=1", "loopbridge.pool.blocked-threshold=50ms")
                .run(context -> {
                    LoopPool pool = context.getBean(LoopPool.class);
                    LoopPoolHealthIndicator health = context.getBean(LoopPoolHealthIndicator.class);
                    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
                    CountDownLatch release = new CountDownLatch(1);
                    try (LogCapture log = new LogCapture()) {
                        CompletableFuture<Boolean> blocker = Bridge.callSoonThreadsafe(pool.loops().getFirst(),
                                () -> release.await(30, TimeUnit.SECONDS)); // blocks the loop on purpose
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                        Health h = health.health();
                        while (h.getStatus() != Status.DOWN && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                            h = health.health();
                        }
                        release.countDown();
                        blocker.get(10, TimeUnit.SECONDS);
                        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(h.getDetails()).containsEntry("blocked", List.of("loopbridge-loop-0"));
                        assertThat(log.text()).contains("loopbridge-loop-0");
                    }
                });
    }

    @Test
    void healthIsOutOfServiceOnceThePoolShutsDown() {
        runner.run(context -> {
            LoopPool pool = context.getBean(LoopPool.class);
            pool.shutdownGracefully(Duration.ZERO).get(10, TimeUnit.SECONDS);
            assertThat(context.getBean(LoopPoolHealthIndicator.class).health().getStatus())
                    .isEqualTo(Status.OUT_OF_SERVICE);
        });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            loopbridge.pool.loops=0                    | loopbridge.pool.loops is 0; it must be at least 1
            loopbridge.pool.max-pending=-1             | loopbridge.pool.max-pending is -1; it must be 0 (unbounded) or more
            loopbridge.pool.blocked-threshold=-1s      | loopbridge.pool.blocked-threshold is PT-1S; it must be a duration of 0 or more
            loopbridge.pool.shutdown-grace=-5ms        | loopbridge.pool.shutdown-grace is PT-0.005S
            loopbridge.pool.name=                      | loopbridge.pool.name is ; it must be a non-blank name
            loopbridge.pool.when-full=CALLER_BLOCKS    | loopbridge.pool.when-full=CALLER_BLOCKS needs a bound; set loopbridge.pool.max-pending
            """)
    void aBadValueFailsStartupNamingTheProperty(String property, String message) {
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            Throwable t = context.getStartupFailure();
            StringBuilder messages = new StringBuilder();
            for (; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append('\n');
            }
            assertThat(messages.toString()).contains(message);
        });
    }

    @Test
    void graceLeavesTheCancellationTimeoutRoomInThePhase() {
        assertThat(LoopPoolLifecycle.graceWithin(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30)))
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(LoopPoolLifecycle.graceWithin(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(12)))
                .isEqualTo(Duration.ofSeconds(7));
        assertThat(LoopPoolLifecycle.graceWithin(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(3)))
                .isEqualTo(Duration.ZERO);
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPool {
        @Bean
        LoopPool ownPool() {
            return LoopPool.builder().name("own").loops(1).build();
        }
    }
}
