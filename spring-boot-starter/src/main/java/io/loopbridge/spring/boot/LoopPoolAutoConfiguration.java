package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * A {@link LoopPool} bean from {@link LoopPoolProperties}, unless the application defines its own, and a
 * {@link LoopPoolLifecycle} that shuts the application's single pool (its own or this one) down gracefully.
 */
@AutoConfiguration
@ConditionalOnClass(LoopPool.class)
@EnableConfigurationProperties(LoopPoolProperties.class)
public class LoopPoolAutoConfiguration {
    /** Spring Boot's default of {@code spring.lifecycle.timeout-per-shutdown-phase}. */
    static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * The auto-configured pool; its loops start here. Its lifecycle bean ends it ({@link LoopPoolLifecycle#destroy}
     * waits a bounded time), not its own {@code close()}, which would wait for ever for a loop blocked for good.
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    public LoopPool loopPool(LoopPoolProperties properties, Environment environment) {
        properties.checkConsistent();
        Duration grace = LoopPoolLifecycle.graceWithin(properties.getShutdownGrace(),
                properties.getCancellationTimeout(), phaseTimeout(environment));
        LoopPool.Builder b = LoopPool.builder()
                .name(properties.getName())
                .selection(properties.getChooser())
                .blockedThreshold(properties.getBlockedThreshold())
                .debug(properties.isDebug())
                .closeGrace(grace)
                .cancellationTimeout(properties.getCancellationTimeout());
        if (properties.getLoops() != null) {
            b.loops(properties.getLoops());
        }
        if (properties.getIdleSpin() != null) {
            b.idleSpin(properties.getIdleSpin());
        }
        if (properties.getMaxPending() > 0) {
            b.maxPendingSubmissions(properties.getMaxPending(), properties.getWhenFull(),
                    properties.getWhenFullTimeout());
        }
        return b.build();
    }

    /** Stops the application's pool after the web server, within Spring's phase timeout. */
    @Bean
    @ConditionalOnSingleCandidate(LoopPool.class)
    @ConditionalOnMissingBean
    public LoopPoolLifecycle loopPoolLifecycle(LoopPool pool, LoopPoolProperties properties, Environment environment) {
        // When destroyed it waits for the cancellation, then a second for the loops to close.
        return new LoopPoolLifecycle(pool, LoopPoolLifecycle.graceWithin(properties.getShutdownGrace(),
                properties.getCancellationTimeout(), phaseTimeout(environment)),
                properties.getCancellationTimeout().plusSeconds(1));
    }

    private static Duration phaseTimeout(Environment environment) {
        return Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                .orElse(DEFAULT_PHASE_TIMEOUT);
    }
}
