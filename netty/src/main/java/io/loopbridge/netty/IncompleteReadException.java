package io.loopbridge.netty;

import java.io.EOFException;
import java.io.Serial;
import java.util.OptionalInt;

/**
 * The stream ended before a read could complete: asyncio's {@code IncompleteReadError} (an {@code EOFError}, as
 * this is an {@link EOFException}). {@link #partial()} holds the bytes read before the end, which the reader no
 * longer has; {@link #expected()} the count {@link StreamReader#readExactly} wanted, empty for
 * {@link StreamReader#readUntil}, whose length was not known.
 */
public final class IncompleteReadException extends EOFException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final byte[] partial;
    private final int expected;

    /** {@code expected} is the count wanted, or -1 if it was not known. */
    public IncompleteReadException(byte[] partial, int expected) {
        super(partial.length + " bytes read on a total of " + (expected < 0 ? "undefined" : Integer.toString(expected))
                + " expected bytes");
        this.partial = partial.clone();
        this.expected = expected;
    }

    /** The bytes read before the end of the stream (a copy). */
    public byte[] partial() {
        return partial.clone();
    }

    /** How many bytes were expected, if that was known. */
    public OptionalInt expected() {
        return expected < 0 ? OptionalInt.empty() : OptionalInt.of(expected);
    }
}
