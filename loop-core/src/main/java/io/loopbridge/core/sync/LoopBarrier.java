package io.loopbridge.core.sync;

import java.util.concurrent.BrokenBarrierException;

/**
 * A meeting point for a fixed number of tasks: {@code asyncio.Barrier}. Each {@link #await()} waits until
 * {@code parties} tasks have arrived, then all go on; the barrier is then reused. {@link #abort()} breaks it
 * (every waiter and every later caller gets {@link BrokenBarrierException}, the JDK's); {@link #reset()}
 * breaks the current round for its waiters and makes it usable again.
 *
 * <p>Thread-safety: loop thread only; bound to the first loop that makes a task wait on it.
 */
public final class LoopBarrier {
    private enum State { FILLING, DRAINING, RESETTING, BROKEN }

    private final LoopCondition cond = new LoopCondition();
    private final int parties;
    private State state = State.FILLING;
    /** Tasks inside await(). */
    private int count;

    /** @throws IllegalArgumentException if {@code parties < 1} */
    public LoopBarrier(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("parties must be > 0: " + parties);
        }
        this.parties = parties;
    }

    /**
     * Waits until {@code parties} tasks have called this, and returns this task's arrival index, from 0 to
     * {@code parties - 1}: {@code Barrier.wait()}. Only inside a coroutine.
     *
     * @throws BrokenBarrierException if the barrier is broken, or aborted or reset while waiting
     */
    public int await() throws Exception {
        try (var held = cond.hold()) {
            block();
            try {
                int index = count++;
                if (index + 1 == parties) {
                    state = State.DRAINING; // release the round; newcomers wait until it has drained
                    cond.signalAll();
                } else {
                    cond.awaitFor(() -> state != State.FILLING);
                    if (state == State.BROKEN || state == State.RESETTING) {
                        throw new BrokenBarrierException("Abort or reset of barrier");
                    }
                }
                return index;
            } finally {
                count--;
                exit();
            }
        }
    }

    /** Waits while the previous round drains or resets, then fails if broken. */
    private void block() throws Exception {
        cond.awaitFor(() -> state != State.DRAINING && state != State.RESETTING);
        if (state == State.BROKEN) {
            throw new BrokenBarrierException("Barrier aborted");
        }
    }

    /** The last task out ends a drain or reset and lets the next round in. */
    private void exit() {
        if (count == 0) {
            if (state == State.RESETTING || state == State.DRAINING) {
                state = State.FILLING;
            }
            cond.signalAll();
        }
    }

    /**
     * Returns the barrier to its empty state; tasks waiting in it get {@link BrokenBarrierException}:
     * {@code Barrier.reset()}. Suspends (briefly takes the barrier's lock); only inside a coroutine.
     */
    public void reset() throws Exception {
        try (var held = cond.hold()) {
            if (count > 0) {
                state = State.RESETTING;
            } else {
                state = State.FILLING;
            }
            cond.signalAll();
        }
    }

    /**
     * Breaks the barrier: waiting and future callers get {@link BrokenBarrierException} until
     * {@link #reset()}: {@code Barrier.abort()}. Suspends (briefly takes the barrier's lock).
     */
    public void abort() throws Exception {
        try (var held = cond.hold()) {
            state = State.BROKEN;
            cond.signalAll();
        }
    }

    public int parties() {
        return parties;
    }

    /** Tasks waiting in the current round: {@code Barrier.n_waiting}. */
    public int waiting() {
        return state == State.FILLING ? count : 0;
    }

    /** {@code Barrier.broken}. */
    public boolean isBroken() {
        return state == State.BROKEN;
    }

    @Override
    public String toString() {
        return "LoopBarrier[" + state.name().toLowerCase() + ", waiters:" + waiting() + "/" + parties + "]";
    }
}
