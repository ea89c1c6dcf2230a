package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Shuts a {@link LoopPool} down gracefully as the application context stops, in phase {@link #PHASE}: after the web
 * server has finished its graceful shutdown and stopped (so requests still in flight could await the pool's work),
 * before the beans the pool's work uses are destroyed. The pool starts when it is built, so {@link #start()} only
 * marks it running; a context that stops and starts again does not restart a pool.
 *
 * <p>{@link #stop(Runnable)} starts {@link LoopPool#shutdownGracefully} with {@link #grace()} and tells Spring when
 * every loop thread has ended; Spring waits for that up to {@code spring.lifecycle.timeout-per-shutdown-phase}, so
 * the grace given here should leave the cancellation timeout room within it ({@link #graceWithin}).
 *
 * <p>When the context is destroyed ({@link #destroy()}, also after a refresh that failed before anything started)
 * the pool is shut down at once and waited for up to {@link #destroyWait()}; a pool still not terminated then
 * (a loop thread blocked for good) is logged as a WARN naming it and left behind, so closing the context never
 * hangs. Thread-safe.
 */
public final class LoopPoolLifecycle implements SmartLifecycle, DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(LoopPoolLifecycle.class);

    /**
     * Below the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and its stop ({@code DEFAULT_PHASE -
     * 2048}): a higher phase stops first and starts last.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final LoopPool pool;
    private final Duration grace;
    private final Duration destroyWait;
    private volatile boolean running;

    /**
     * Stops {@code pool} with {@code grace} for its running tasks; when the context is destroyed, waits up to
     * {@code destroyWait} for a pool that has not terminated yet.
     */
    public LoopPoolLifecycle(LoopPool pool, Duration grace, Duration destroyWait) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.grace = Objects.requireNonNull(grace, "grace");
        this.destroyWait = Objects.requireNonNull(destroyWait, "destroyWait");
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

    /** How long {@link #destroy()} waits for the pool to terminate before it gives up on it. */
    public Duration destroyWait() {
        return destroyWait;
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

    /**
     * Shuts the pool down with no grace (a no-op for the grace if {@link #stop} already did) and waits up to
     * {@link #destroyWait()} for it to terminate; then returns either way, with a WARN if it has not.
     */
    @Override
    public void destroy() throws InterruptedException {
        running = false;
        try {
            pool.shutdownGracefully(Duration.ZERO).get(destroyWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("LoopPool '{}' did not terminate within {} of the context closing: a loop thread is blocked "
                    + "(see the pool's blocked-loop warnings); the context closes without waiting for it",
                    pool.name(), destroyWait);
        } catch (ExecutionException e) {
            log.warn("LoopPool '{}' failed while terminating", pool.name(), e.getCause());
        }
    }
}
