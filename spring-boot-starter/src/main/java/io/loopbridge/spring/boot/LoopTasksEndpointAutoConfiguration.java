package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * With the actuator: the {@link LoopTasksEndpoint}, when it is available (enabled and exposed:
 * {@code management.endpoints.web.exposure.include=looptasks}, or jmx).
 */
@AutoConfiguration(after = LoopPoolAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
public class LoopTasksEndpointAutoConfiguration {
    /** The endpoint over the application's pool. */
    @Bean
    @ConditionalOnAvailableEndpoint(LoopTasksEndpoint.class) // on the method: evaluated only when the class is there
    @ConditionalOnSingleCandidate(LoopPool.class)
    @ConditionalOnMissingBean
    public LoopTasksEndpoint loopTasksEndpoint(LoopPool pool) {
        return new LoopTasksEndpoint(pool);
    }
}
