package io.loopbridge.testing;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Shared test fixture: bounded waits of a test thread for what another thread does. */
public final class Waits {
    /** The bound of every wait: a test that needs longer has hung. */
    public static final long SECONDS = 10;

    private Waits() {
    }

    /** Waits for {@code latch}, failing the test after {@link #SECONDS}. */
    public static void await(CountDownLatch latch) {
        try {
            if (!latch.await(SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released in time");
            }
        } catch (InterruptedException e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Polls {@code condition} until it holds, failing the test after {@link #SECONDS}: for a state that another
     * thread reaches with no event to wait on (a watchdog's verdict, a replaced loop).
     */
    public static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5); // polling a condition with a bounded deadline, not synchronising on time
        }
    }
}
