package io.loopbridge.core.sync;

/** {@link LoopQueue#putNowait} on a full queue: {@code asyncio.QueueFull}. */
public final class QueueFullException extends IllegalStateException {
    public QueueFullException(String message) {
        super(message);
    }
}
