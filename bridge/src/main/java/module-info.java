/**
 * The doors between ordinary threads and loops: {@link io.loopbridge.bridge.LoopPool} (loops on their own
 * platform threads, for a server to embed) and {@link io.loopbridge.bridge.Bridge} (asyncio's
 * {@code run_coroutine_threadsafe}, {@code wrap_future}, {@code to_thread}). Every CompletableFuture handed
 * out completes.
 */
module io.loopbridge.bridge {
    requires transitive io.loopbridge.core;
    requires org.slf4j;

    exports io.loopbridge.bridge;
}
