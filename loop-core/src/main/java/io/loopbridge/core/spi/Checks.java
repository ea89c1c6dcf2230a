package io.loopbridge.core.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The argument checks of every loopbridge module, one message format for each (as Netty's
 * {@code ObjectUtil}): {@code "<name> must not be negative: <value>"}. Thread-safe.
 */
public final class Checks {
    /** The longest duration loopbridge tells apart (~146 years): longer is "for ever", and now + it never overflows. */
    public static final long MAX_NANOS = Long.MAX_VALUE / 2;

    private Checks() {
    }

    /** {@code d}, which must be non-null and not negative. */
    public static Duration requireNonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative: " + d);
        }
        return d;
    }

    /** {@code d}, which must be non-null and longer than zero. */
    public static Duration requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    /** {@code n}, which must be at least {@code min}. */
    public static int requireAtLeast(int n, int min, String name) {
        if (n < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ": " + n);
        }
        return n;
    }

    /**
     * {@link Duration#toNanos()} clamped to {@code [-MAX_NANOS, MAX_NANOS]}: a huge duration is "for ever" (or
     * "long ago") without {@code toNanos}'s ArithmeticException, and adding it to a {@link System#nanoTime()}
     * cannot overflow.
     */
    public static long saturatedNanos(Duration d) {
        if (d.compareTo(Duration.ofNanos(MAX_NANOS)) > 0) {
            return MAX_NANOS;
        }
        if (d.compareTo(Duration.ofNanos(-MAX_NANOS)) < 0) {
            return -MAX_NANOS;
        }
        return d.toNanos();
    }
}
