package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import java.time.Duration;
import java.util.Objects;
import org.springframework.context.SmartLifecycle;

/**
 * Shuts a {@link LoopPool} down gracefully as the application context stops, in phase {@link #PHASE}: after the web
 * server has finished its graceful shutdown and stopped (so requests still in flight could await the pool's work),
 * before the beans the pool's work uses are destroyed. The pool starts when it is built, so {@link #start()} only
 * marks it running; a context that stops and starts again does not restart a pool.
 *
 * <p>{@link #stop(Runnable)} starts {@link LoopPool#shutdownGracefully} with {@link #grace()} and tells Spring when
 * every loop thread has ended; Spring waits for that up to {@code spring.lifecycle.timeout-per-shutdown-phase}, so
 * the grace given here should leave the cancellation timeout room within it ({@link #graceWithin}). Thread-safe.
 */
public final class LoopPoolLifecycle implements SmartLifecycle {
    /**
     * Below the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and its stop ({@code DEFAULT_PHASE -
     * 2048}): a higher phase stops first and starts last.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final LoopPool pool;
    private final Duration grace;
    private volatile boolean running;

    /** Stops {@code pool} with {@code grace} for its running tasks. */
    public LoopPoolLifecycle(LoopPool pool, Duration grace) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.grace = Objects.requireNonNull(grace, "grace");
    }

    /**
     * The grace period that lets a shutdown finish within Spring's phase timeout: {@code wanted}, or less where
     * {@code wanted} plus {@code cancellation} would not fit in {@code phaseTimeout}.
     */
    public static Duration graceWithin(Duration wanted, Duration cancellation, Duration phaseTimeout) {
        Duration room = phaseTimeout.minus(cancellation);
        if (room.isNegative()) {
            room = Duration.ZERO;
        }
        return wanted.compareTo(room) <= 0 ? wanted : room;
    }

    /** The pool this lifecycle stops. */
    public LoopPool pool() {
        return pool;
    }

    /** The grace period of the shutdown {@link #stop(Runnable)} starts. */
    public Duration grace() {
        return grace;
    }

    @Override
    public void start() {
        if (pool.isShutdown()) {
            throw new IllegalStateException("LoopPool '" + pool.name() + "' was shut down and cannot start again; "
                    + "a refreshed context needs a new pool bean");
        }
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        pool.shutdownGracefully(grace).join();
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        pool.shutdownGracefully(grace).whenComplete((v, e) -> callback.run());
    }

    @Override
    public boolean isRunning() {
        return running && !pool.isTerminated();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
