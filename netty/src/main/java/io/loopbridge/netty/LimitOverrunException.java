package io.loopbridge.netty;

import java.io.Serial;

/**
 * A separator was not found within the reader's limit: asyncio's {@code LimitOverrunError}. {@link #consumed()}
 * is how many bytes would have to be consumed: where the separator starts if it was found beyond the limit, else
 * how far the search went. After {@link StreamReader#readUntil} the bytes stay in the reader, to be read in
 * another way; after {@link StreamReader#readLine} the over-long line (or, with no newline yet, all that is
 * buffered) has been discarded, where CPython raises a {@code ValueError} with the same message.
 */
public final class LimitOverrunException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int consumed;

    public LimitOverrunException(String message, int consumed) {
        super(message);
        this.consumed = consumed;
    }

    /** The number of bytes to be consumed, as CPython's {@code consumed}. */
    public int consumed() {
        return consumed;
    }
}
