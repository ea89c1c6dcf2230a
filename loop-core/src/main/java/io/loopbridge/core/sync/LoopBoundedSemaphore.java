package io.loopbridge.core.sync;

/**
 * A {@link LoopSemaphore} that refuses to be released above its initial number of permits:
 * {@code asyncio.BoundedSemaphore}. Thread-safety: as {@link LoopSemaphore}.
 */
public final class LoopBoundedSemaphore extends LoopSemaphore {
    private final int bound;

    public LoopBoundedSemaphore(int permits) {
        super(permits);
        this.bound = permits;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if that would exceed the initial number of permits
     */
    @Override
    public void release() {
        checkLoop();
        if (value >= bound) {
            throw new IllegalStateException("BoundedSemaphore released too many times");
        }
        super.release();
    }
}
