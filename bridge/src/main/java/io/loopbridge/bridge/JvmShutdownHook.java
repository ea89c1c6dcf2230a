package io.loopbridge.bridge;

/**
 * The JVM shutdown hook a pool registers when asked ({@link LoopPool.Builder#shutdownHook}): it
 * {@link LoopPool#close()}s the pool, and is removed as soon as the pool shuts down otherwise. Any thread.
 */
final class JvmShutdownHook {
    private final Thread hook;

    /** Registers a hook closing {@code pool}. */
    JvmShutdownHook(LoopPool pool) {
        this.hook = new Thread(pool::close, pool.name() + "-shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The pool is shutting down: the hook is no longer needed (unless it is what shuts the pool down). */
    void remove() {
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException jvmShuttingDown) {
                // the hook runs or will run: nothing to undo
            }
        }
    }
}
