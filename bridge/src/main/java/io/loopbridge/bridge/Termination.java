package io.loopbridge.bridge;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The end of a {@link LoopPool}'s life: hooks that run once it has terminated, then a future that completes,
 * in that order (so that whoever waits for the future finds the hooks' work done: metrics removed, say).
 * Netty's {@code terminationFuture()}, with hooks that run before it completes. Any thread.
 */
final class Termination {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoopPool.class);

    private final String owner;
    private final CompletableFuture<Void> future = new CompletableFuture<>();
    /** Guarded by itself; null once the hooks ran. */
    private List<Runnable> hooks = new ArrayList<>();

    /** For {@code owner}, a name for logs. */
    Termination(String owner) {
        this.owner = owner;
    }

    /** Runs {@code hook} when {@link #complete()} is called, or at once, here, if the hooks already ran. */
    void onTermination(Runnable hook) {
        synchronized (this) {
            if (hooks != null) {
                hooks.add(hook);
                return;
            }
        }
        hook.run();
    }

    /** Runs the hooks (one that throws is logged and the others still run), then completes the future. Once. */
    void complete() {
        List<Runnable> toRun;
        synchronized (this) {
            toRun = hooks;
            hooks = null;
        }
        if (toRun == null) {
            return;
        }
        for (Runnable hook : toRun) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                log.warn("termination hook of pool {} failed", owner, e);
            }
        }
        future.complete(null);
    }

    /** A future completed with this one: completing it does not terminate anything. */
    CompletableFuture<Void> future() {
        return future.copy();
    }

    /** Waits for the end; an interrupt is remembered (the thread's flag set again on return), not obeyed. */
    void awaitUninterruptibly() {
        future.join(); // CompletableFuture.join: not interruptible, and it restores the flag; never exceptional
    }
}
