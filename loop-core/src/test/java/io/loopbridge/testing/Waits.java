package io.loopbridge.testing;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

    /**
     * {@code future.get()} within {@link #SECONDS}; on a timeout the test fails with the stacks of the threads
     * whose names start with {@code threadPrefix} (a pool's loop threads), so a hang leaves evidence behind.
     */
    public static <T> T get(CompletableFuture<T> future, String threadPrefix) throws InterruptedException, ExecutionException {
        try {
            return future.get(SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StringBuilder dump = new StringBuilder("not done within " + SECONDS + " s: " + future);
            for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
                if (t.getKey().getName().startsWith(threadPrefix)) {
                    dump.append("\n").append(t.getKey()).append(' ').append(t.getKey().getState());
                    for (StackTraceElement frame : t.getValue()) {
                        dump.append("\n    at ").append(frame);
                    }
                }
            }
            throw new AssertionError(dump.toString(), e);
        }
    }
}
