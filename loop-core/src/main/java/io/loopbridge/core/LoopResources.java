package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What goes with a loop when it closes: values other modules attach to it ({@link LoopSpi#attachment}), the
 * hooks of {@link EventLoop#onClose}, and why it was closed when its thread died. Thread-safe.
 */
final class LoopResources {
    private final EventLoop loop;
    private final ConcurrentHashMap<LoopSpi.Key<?>, Object> attachments = new ConcurrentHashMap<>(4);
    private final List<Runnable> closeHooks = new ArrayList<>(1);
    private boolean closeHooksRan; // guarded by closeHooks
    private volatile Throwable closeCause;

    LoopResources(EventLoop loop) {
        this.loop = loop;
    }

    @SuppressWarnings("unchecked")
    <T> T attachment(LoopSpi.Key<T> key, Function<? super EventLoop, ? extends T> ifAbsent) {
        Object value = attachments.get(key); // the bridge asks on every submission: a read, no lambda
        return (T) (value != null ? value : attachments.computeIfAbsent(key, k -> ifAbsent.apply(loop)));
    }

    @SuppressWarnings("unchecked")
    <T> T removeAttachment(LoopSpi.Key<T> key) {
        return (T) attachments.remove(key);
    }

    Throwable closeCause() {
        return closeCause;
    }

    void setCloseCause(Throwable cause) {
        this.closeCause = cause;
    }

    /** Adds {@code hook}, or runs it here if the hooks already ran. */
    void onClose(Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        synchronized (closeHooks) {
            if (!closeHooksRan) {
                closeHooks.add(hook);
                return;
            }
        }
        hook.run();
    }

    /** Runs the hooks once, in order; one that throws goes to the exception handler and the rest still run. */
    void runCloseHooks() {
        synchronized (closeHooks) {
            closeHooksRan = true;
            for (Runnable hook : closeHooks) {
                try {
                    hook.run();
                } catch (RuntimeException e) {
                    loop.callExceptionHandler(ErrorContext.of("Exception in close hook " + hook, e));
                }
            }
            closeHooks.clear();
        }
    }
}
