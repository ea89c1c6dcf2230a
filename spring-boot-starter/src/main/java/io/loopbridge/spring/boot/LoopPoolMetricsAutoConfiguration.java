package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * With Micrometer and a {@link MeterRegistry} (e.g. the actuator's): the pool's {@link LoopPoolMetrics}, a
 * {@code MeterBinder} that Spring Boot binds to the application's registry, so {@code /actuator/prometheus} shows
 * every loop ({@code loopbridge_loop_*}, tagged {@code pool} and {@code loop}) and the bridge's meters.
 */
@AutoConfiguration(after = LoopPoolAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({MeterRegistry.class, LoopPoolMetrics.class})
@ConditionalOnBean(MeterRegistry.class)
public class LoopPoolMetricsAutoConfiguration {
    /** The pool's meters, bound by Spring Boot to the application's registry. */
    @Bean
    @ConditionalOnSingleCandidate(LoopPool.class)
    @ConditionalOnMissingBean
    public LoopPoolMetrics loopPoolMetrics(LoopPool pool) {
        return new LoopPoolMetrics(pool);
    }
}
