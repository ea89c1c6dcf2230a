package io.loopbridge.core.spi;

import java.time.Duration;

/**
 * How long a thread that waits for something polls before it parks: one policy for every spin-then-park in
 * loopbridge (an idle loop polling its inbox, a caller blocked on a bridge future, the fallback engine's
 * handoff), in the spirit of Agrona's {@code IdleStrategy}.
 *
 * <p>Waking a parked thread costs the waker a system call and the sleeper the scheduler's latency: tens of
 * microseconds on an idle virtual CPU, more than a whole round trip between two busy threads. A wait that
 * ends within the spin pays neither; the price is up to {@link #spinNanos()} of CPU per wait that does not.
 * The default is 50 µs, or {@code -Dloopbridge.idleSpinNanos}; {@link #NO_SPIN} parks at once.
 *
 * <pre>{@code
 * long start = System.nanoTime();
 * while (!ready()) {
 *     if (!idle.spin(start)) {
 *         LockSupport.park(this);       // the spin is spent: park (and be unparked by whoever makes it ready)
 *     }
 * }
 * }</pre>
 * Immutable; any thread.
 */
public final class IdleStrategy {
    /** Parks at once. */
    public static final IdleStrategy NO_SPIN = new IdleStrategy(0);
    /** 50 µs, or {@code -Dloopbridge.idleSpinNanos}: the one place the default is configured. */
    public static final IdleStrategy DEFAULT = new IdleStrategy(Long.getLong("loopbridge.idleSpinNanos", 50_000));

    private final long spinNanos;

    private IdleStrategy(long spinNanos) {
        if (spinNanos < 0) {
            throw new IllegalArgumentException("idle spin must not be negative: " + spinNanos + " ns");
        }
        this.spinNanos = spinNanos;
    }

    /** Spins for up to {@code spin} before parking ({@link Duration#ZERO}: {@link #NO_SPIN}). */
    public static IdleStrategy spinFor(Duration spin) {
        long nanos = Checks.saturatedNanos(Checks.requireNonNegative(spin, "spin"));
        return nanos == 0 ? NO_SPIN : new IdleStrategy(nanos);
    }

    /** The longest a wait spins before its caller parks. */
    public long spinNanos() {
        return spinNanos;
    }

    /**
     * One round of a wait that began at {@code startNanos} ({@link System#nanoTime()}): spins briefly and
     * returns true while the wait is within its spin, false once the caller should park.
     */
    public boolean spin(long startNanos) {
        return spin(startNanos, spinNanos);
    }

    /** As {@link #spin(long)}, with the spin cut to {@code budgetNanos} when that is shorter (a deadline). */
    public boolean spin(long startNanos, long budgetNanos) {
        if (System.nanoTime() - startNanos >= Math.min(spinNanos, budgetNanos)) {
            return false;
        }
        Thread.onSpinWait();
        return true;
    }

    @Override
    public String toString() {
        return "IdleStrategy[spin " + spinNanos + " ns, then park]";
    }
}
