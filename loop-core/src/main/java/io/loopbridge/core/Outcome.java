package io.loopbridge.core;

import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * How one future ended: a value or an exception. The element type of {@link Aio#gatherSettled}, the Java
 * spelling of {@code gather(..., return_exceptions=True)}. A cancellation is a {@link Failure} holding the
 * {@link CancellationException}. Sealed, so a {@code switch} over it needs no default:
 *
 * <pre>{@code
 * switch (outcome) {
 *     case Outcome.Success<Integer>(var value) -> use(value);
 *     case Outcome.Failure<Integer>(var error) -> log(error);
 * }
 * }</pre>
 *
 * <p>Immutable; any thread.
 *
 * @param <T> the type of the value
 */
public sealed interface Outcome<T> permits Outcome.Success, Outcome.Failure {

    /** The future's value, which may be null. */
    record Success<T>(T value) implements Outcome<T> {
    }

    /** The future's exception, or the {@link CancellationException} of a cancelled future. */
    record Failure<T>(Throwable error) implements Outcome<T> {
        public Failure {
            Objects.requireNonNull(error, "error");
        }
    }

    /** The value, or the stored exception itself thrown (as {@link LoopFuture#result()} does). */
    default T get() throws Exception {
        return switch (this) {
            case Success<T> s -> s.value();
            case Failure<T> f -> throw LoopFuture.sneakyThrow(f.error());
        };
    }

    /**
     * How {@code future}, which must be done, ended. Reading a failure marks it retrieved (it will not be
     * reported as never retrieved). Loop thread, or any thread once {@code isDone()} was seen true.
     *
     * @throws InvalidStateException if the future is still pending
     */
    static <T> Outcome<T> of(LoopFuture<? extends T> future) {
        if (!future.isDone()) {
            throw new InvalidStateException("Outcome.of() needs a done future: " + future);
        }
        if (future.isCancelled()) {
            return new Failure<>(Futures.cancellation(future));
        }
        Throwable error = future.exception();
        return error != null ? new Failure<>(error) : new Success<>(Futures.value(future));
    }
}
