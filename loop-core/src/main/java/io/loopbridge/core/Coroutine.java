package io.loopbridge.core;

/**
 * The Java spelling of {@code async def}: straight-line code that may suspend at
 * {@link LoopFuture#await()} and only ever runs inside a {@link Task}.
 *
 * <p>A coroutine that catches {@code Exception} also catches {@link java.util.concurrent.CancellationException}:
 * rethrow it unless the cancellation is really to be refused, exactly as with {@code asyncio.CancelledError}.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface Coroutine<T> {
    T call() throws Exception;
}
