/**
 * Spring Boot auto-configuration for loopbridge: a {@link io.loopbridge.bridge.LoopPool} bean configured from
 * {@code loopbridge.pool.*} ({@link io.loopbridge.spring.boot.LoopPoolProperties}), shut down gracefully after the
 * web server ({@link io.loopbridge.spring.boot.LoopPoolLifecycle}); with the actuator, its meters on the
 * application's registry, a health indicator ({@link io.loopbridge.spring.boot.LoopPoolHealthIndicator}) and the
 * {@code looptasks} endpoint ({@link io.loopbridge.spring.boot.LoopTasksEndpoint}).
 */
package io.loopbridge.spring.boot;
