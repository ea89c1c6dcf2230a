package io.loopbridge.benchmarks;

import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.ExceptionHandler;

/**
 * A benchmark loop's exception handler: the first error the loop reports fails the benchmark at the next
 * {@link #check()}, rather than scrolling past in a log while the score measures a broken run.
 */
final class FailFast implements ExceptionHandler {
    private volatile ErrorContext first;

    @Override
    public void handle(EventLoop loop, ErrorContext context) {
        if (first == null) {
            first = context;
        }
    }

    void check() {
        ErrorContext e = first;
        if (e != null) {
            throw new IllegalStateException("the loop reported: " + e.message(), e.exception());
        }
    }
}
