package io.loopbridge.bridge;

import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a {@link LoopPool.Builder} was told, with its defaults and checks: each bad value fails at the builder's
 * call. The builder hands the pool a {@link #copy()}, so that a builder used again does not change a pool
 * already built. Not thread-safe; a pool only reads its copy.
 */
final class PoolSettings implements Cloneable {
    int loops = Runtime.getRuntime().availableProcessors();
    String name;
    String threadPrefix;
    boolean daemon;
    LoopPool.Selection selection = LoopPool.Selection.ROUND_ROBIN;
    Consumer<EventLoop.Builder> loopDefaults = loop -> { };
    ContextPropagator contextPropagator;
    int maxPending;
    LoopPool.WhenFull whenFull = LoopPool.WhenFull.REJECT;
    Duration blockTimeout = Duration.ZERO;
    boolean shutdownHook;
    boolean replaceDeadLoops;
    Duration closeGrace = Duration.ofSeconds(10);
    Duration cancellationTimeout = Duration.ofSeconds(5);
    Duration blockedThreshold = Duration.ofSeconds(2);

    /** {@code defaults} is tried at once on a throwaway loop builder, so that a bad value fails here. */
    void loopDefaults(Consumer<EventLoop.Builder> defaults) {
        Objects.requireNonNull(defaults, "defaults");
        defaults.accept(EventLoop.builder());
        loopDefaults = loopDefaults.andThen(defaults);
    }

    void loops(int loops) {
        if (loops < 1) {
            throw new IllegalArgumentException("a pool needs at least one loop: " + loops);
        }
        this.loops = loops;
    }

    void maxPending(int maxPending, LoopPool.WhenFull whenFull, Duration blockTimeout) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be positive: " + maxPending);
        }
        this.blockTimeout = Checks.requireNonNegative(blockTimeout, "blockTimeout");
        this.whenFull = Objects.requireNonNull(whenFull, "whenFull");
        this.maxPending = maxPending;
    }

    long blockTimeoutNanos() {
        return nanos(blockTimeout);
    }

    long cancellationTimeoutNanos() {
        return nanos(cancellationTimeout);
    }

    /** {@code d} in nanoseconds, never negative, saturated as {@link Checks#saturatedNanos} does. */
    static long nanos(Duration d) {
        return Math.max(0, Checks.saturatedNanos(d));
    }

    PoolSettings copy() {
        try {
            return (PoolSettings) clone(); // every field is immutable, or a value
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
