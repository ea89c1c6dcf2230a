package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * A {@link LoopPool}'s health, as the demo's {@code /healthz}: DOWN naming each loop the watchdog reports blocked
 * (one callback or coroutine step running past {@code loopbridge.pool.blocked-threshold}) and each loop whose thread
 * died and was not replaced; OUT_OF_SERVICE once the pool is shutting down; else UP. The details give every loop's
 * state ({@code running}, {@code starting}, {@code blocked}, {@code dead}), pending tasks and queued callbacks.
 *
 * <p>It reads the loops' counters only: it never waits for a loop, so a blocked loop cannot hold it up.
 * Thread-safe.
 */
public final class LoopPoolHealthIndicator implements HealthIndicator {
    private final LoopPool pool;
    private final int slots;
    /** Every loop this indicator has seen serving, so that a dead one can still be named. Guarded by this. */
    private final Set<EventLoop> seen = new LinkedHashSet<>();

    /** The health of {@code pool}; its loops serving now are the slots it must keep. */
    public LoopPoolHealthIndicator(LoopPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
        List<EventLoop> loops = pool.loops();
        this.slots = loops.size();
        seen.addAll(loops);
    }

    @Override
    public Health health() {
        List<EventLoop> serving = pool.loops();
        List<EventLoop> all;
        synchronized (this) {
            seen.addAll(serving);
            all = List.copyOf(seen);
        }
        Map<String, Object> loops = new LinkedHashMap<>();
        List<String> blocked = new ArrayList<>();
        List<String> dead = new ArrayList<>();
        for (EventLoop loop : all) {
            Map<String, Object> d = new LinkedHashMap<>();
            String state;
            if (loop.isClosed()) {
                state = "dead";
                dead.add(loop.name());
            } else if (loop.stats().isBlocked()) {
                state = "blocked";
                d.put("blockedMs", TimeUnit.NANOSECONDS.toMillis(loop.stats().blockedNanos()));
                blocked.add(loop.name());
            } else {
                state = loop.isRunning() ? "running" : "starting";
            }
            d.put("state", state);
            d.put("pendingTasks", loop.stats().activeTasks());
            d.put("queuedCallbacks", loop.stats().inboxCount() + loop.stats().readyCount());
            loops.put(loop.name(), d);
        }
        Health.Builder h;
        if (pool.isShutdown()) {
            h = Health.outOfService().withDetail("reason", "the pool is shutting down");
        } else if (!blocked.isEmpty() || serving.size() < slots) {
            h = Health.down();
            if (!blocked.isEmpty()) {
                h.withDetail("blocked", blocked);
            }
            if (serving.size() < slots) {
                h.withDetail("dead", dead);
            }
        } else {
            h = Health.up();
            if (!dead.isEmpty()) {
                h.withDetail("replacedDead", dead);
            }
        }
        return h.withDetail("pool", pool.name()).withDetail("loops", loops).build();
    }
}
