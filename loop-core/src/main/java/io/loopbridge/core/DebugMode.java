package io.loopbridge.core;

import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What a loop does in debug mode ({@code loop.set_debug}, the flag the loop keeps): remember where each handle
 * was scheduled, and warn about every callback slower than the threshold. Thread-safe.
 */
final class DebugMode {
    private volatile long slowCallbackNanos;
    /** Where each handle was scheduled (weak keys: an entry goes with its handle). */
    private final Map<Handle, Throwable> origins = Collections.synchronizedMap(new WeakHashMap<>());

    DebugMode(Duration slowCallback) {
        setSlowCallbackDuration(slowCallback);
    }

    Duration slowCallbackDuration() {
        return Duration.ofNanos(slowCallbackNanos);
    }

    void setSlowCallbackDuration(Duration threshold) {
        this.slowCallbackNanos = Checks.saturatedNanos(Checks.requireNonNegative(threshold, "threshold"));
    }

    /** Remembers where {@code h} is being scheduled. */
    void scheduled(Handle h) {
        origins.put(h, new Throwable("scheduled here"));
    }

    /** Where {@code h} was scheduled, or null. */
    Throwable originOf(Handle h) {
        return origins.isEmpty() ? null : origins.get(h);
    }

    /**
     * {@code h} (a handle, or a bare Runnable queued before debug mode was on) ran for {@code tookNanos}: a
     * slow one is counted and logged.
     */
    void ran(EventLoop loop, Object h, long tookNanos) {
        if (tookNanos >= slowCallbackNanos) {
            loop.stats().slowCallback();
            EventLoop.log.warn("Executing {} took {} ms [loop {}]", Handle.describe(h),
                    String.format("%.3f", tookNanos / 1e6), loop.name(), h instanceof Handle handle ? handle.origin() : null);
        }
    }
}
