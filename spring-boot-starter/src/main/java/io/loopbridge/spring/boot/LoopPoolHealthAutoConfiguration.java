package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * With Spring Boot's health support: the pool's {@link LoopPoolHealthIndicator}, the component {@code loopPool}
 * of {@code /actuator/health} ({@code management.health.looppool.enabled=false} turns it off).
 */
@AutoConfiguration(after = LoopPoolAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
public class LoopPoolHealthAutoConfiguration {
    /** The pool's health. */
    @Bean
    @ConditionalOnEnabledHealthIndicator("looppool") // on the method: evaluated only when the class is there
    @ConditionalOnSingleCandidate(LoopPool.class)
    @ConditionalOnMissingBean(name = "loopPoolHealthIndicator")
    public LoopPoolHealthIndicator loopPoolHealthIndicator(LoopPool pool) {
        return new LoopPoolHealthIndicator(pool);
    }
}
