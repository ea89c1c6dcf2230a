package io.loopbridge.core;

/**
 * What {@link ExceptionHandler} is told: asyncio's context dict as a record.
 *
 * @param message   what happened, never null
 * @param exception the error, or null
 * @param future    the future or task concerned, or null
 * @param handle    the callback concerned, or null
 */
public record ErrorContext(String message, Throwable exception, LoopFuture<?> future, Handle handle) {
    public ErrorContext {
        java.util.Objects.requireNonNull(message, "message");
    }

    public static ErrorContext of(String message, Throwable exception) {
        return new ErrorContext(message, exception, null, null);
    }
}
