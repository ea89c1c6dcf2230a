package io.loopbridge.core;

import io.loopbridge.core.spi.Checks;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A loop's debug mode ({@code loop.set_debug}): where each handle was scheduled, and a warning for every
 * callback slower than the threshold. Off, it costs a volatile read per scheduling call and per iteration.
 * Thread-safe.
 */
final class DebugMode {
    private volatile boolean enabled;
    private volatile long slowCallbackNanos;
    /** Where each handle was scheduled (weak keys: an entry goes with its handle). */
    private final Map<Handle, Throwable> origins = Collections.synchronizedMap(new WeakHashMap<>());

    DebugMode(boolean enabled, Duration slowCallback) {
        this.enabled = enabled;
        setSlowCallbackDuration(slowCallback);
    }

    boolean enabled() {
        return enabled;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    Duration slowCallbackDuration() {
        return Duration.ofNanos(slowCallbackNanos);
    }

    void setSlowCallbackDuration(Duration threshold) {
        this.slowCallbackNanos = Checks.saturatedNanos(Checks.requireNonNegative(threshold, "threshold"));
    }

    /** Remembers where {@code h} is being scheduled, in debug mode. Returns {@code h}. */
    <H extends Handle> H scheduled(H h) {
        if (enabled) {
            origins.put(h, new Throwable("scheduled here"));
        }
        return h;
    }

    /** Where {@code h} was scheduled, or null. */
    Throwable originOf(Handle h) {
        return origins.isEmpty() ? null : origins.get(h);
    }

    /** Runs {@code h} through {@code run}, timing it; a slow one is counted and logged. */
    void runTimed(EventLoop loop, Handle h, java.util.function.Consumer<Handle> run) {
        long t0 = System.nanoTime();
        run.accept(h);
        long took = System.nanoTime() - t0;
        if (took >= slowCallbackNanos) {
            loop.stats().slowCallback();
            EventLoop.log.warn("Executing {} took {} ms [loop {}]", h, String.format("%.3f", took / 1e6), loop.name(),
                    h.origin());
        }
    }
}
