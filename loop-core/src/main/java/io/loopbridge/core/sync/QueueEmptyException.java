package io.loopbridge.core.sync;

import java.util.NoSuchElementException;

/** {@link LoopQueue#getNowait} on an empty queue: {@code asyncio.QueueEmpty}. */
public final class QueueEmptyException extends NoSuchElementException {
    public QueueEmptyException(String message) {
        super(message);
    }
}
