package io.loopbridge.core;

import java.util.Set;

/**
 * What {@link Aio#wait} returns: asyncio's {@code (done, pending)} pair. Both sets are unmodifiable, hold
 * the futures given to {@code wait} (compared by identity) in the order they were given, and are a snapshot
 * taken when {@code wait} returned.
 *
 * @param <F> the type of the futures
 */
public record WaitResult<F extends LoopFuture<?>>(Set<F> done, Set<F> pending) {
    public WaitResult {
        done = java.util.Collections.unmodifiableSet(done);
        pending = java.util.Collections.unmodifiableSet(pending);
    }
}
