package io.loopbridge.core;

/**
 * A future or task was asked for something its state does not allow: the result of a pending future,
 * or a second result. Mirrors {@code asyncio.InvalidStateError}.
 */
public class InvalidStateException extends IllegalStateException {
    public InvalidStateException(String message) {
        super(message);
    }
}
