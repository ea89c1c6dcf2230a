package io.loopbridge.core;

import java.util.concurrent.CancellationException;

/** Small helpers the combinators share for reading and forwarding a done future. */
final class Futures {
    private Futures() {
    }

    /** The CancellationException a cancelled future throws (asyncio's {@code _make_cancelled_error}). */
    static CancellationException cancellation(LoopFuture<?> cancelled) {
        try {
            cancelled.result();
        } catch (CancellationException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("not cancelled: " + cancelled, e);
        }
        throw new AssertionError("not cancelled: " + cancelled);
    }

    /** The value of a future that succeeded. */
    static <T> T value(LoopFuture<T> succeeded) {
        try {
            return succeeded.result();
        } catch (Exception e) {
            throw new AssertionError("did not succeed: " + succeeded, e);
        }
    }

    /**
     * Makes pending {@code to} end as done {@code from} ended: its value, its exception (marking it
     * retrieved on {@code from}, since {@code to} now carries it), or a cancellation with its message.
     */
    static <T> void forward(LoopFuture<? extends T> from, LoopFuture<T> to) {
        if (from.isCancelled()) {
            to.cancelNow(cancellation(from).getMessage());
            return;
        }
        Throwable error = from.exception();
        if (error != null) {
            to.complete(null, error);
        } else {
            to.complete(value(from), null);
        }
    }
}
