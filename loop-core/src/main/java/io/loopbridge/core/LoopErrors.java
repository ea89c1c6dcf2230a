package io.loopbridge.core;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where a loop's errors go: its exception handler, else the log. The implementation of
 * {@link EventLoop#callExceptionHandler} and {@link EventLoop#defaultExceptionHandler}. Thread-safe.
 */
final class LoopErrors {
    private final EventLoop loop;
    private volatile ExceptionHandler handler;

    LoopErrors(EventLoop loop, ExceptionHandler handler) {
        this.loop = loop;
        this.handler = handler;
    }

    ExceptionHandler handler() {
        return handler;
    }

    void setHandler(ExceptionHandler handler) {
        this.handler = handler;
    }

    /** The handler's, or the log's when none is set or the handler itself fails; on the caller's thread. */
    void report(ErrorContext context) {
        Objects.requireNonNull(context, "context");
        ExceptionHandler h = handler;
        if (h != null) {
            try {
                h.handle(loop, context);
                return;
            } catch (Throwable t) {
                logSafely(new ErrorContext("Unhandled error in exception handler", t, null, null));
                // and the original error is logged below, as asyncio does
            }
        }
        logSafely(context);
    }

    /**
     * Reports on the loop's thread when the loop is open (the handler's usual thread), else right here. A
     * report the loop never runs because it closes first is made by whoever drops it: never lost.
     */
    void reportFromAnyThread(ErrorContext context) {
        Runnable report = () -> report(context);
        try {
            loop.callSoonThreadsafe(report, report);
        } catch (RejectedExecutionException closed) {
            report.run();
        }
    }

    /** The default handler, which must not fail either: a culprit's toString() may throw. */
    private void logSafely(ErrorContext context) {
        try {
            loop.defaultExceptionHandler(context);
        } catch (Throwable t) {
            EventLoop.log.error("Exception in default exception handler [loop {}]", loop.name(), t);
        }
    }

    /** The default handler: an SLF4J error log with the loop, the message, the culprit and the stack. */
    void log(ErrorContext context) {
        StringBuilder sb = new StringBuilder(context.message()).append(" [loop ").append(loop.name()).append(']');
        if (context.future() != null) {
            sb.append(" future: ").append(context.future());
        }
        Handle h = context.handle();
        if (h != null) {
            sb.append(" handle: ").append(h);
            Throwable origin = h.origin();
            if (origin != null) {
                EventLoop.log.error(sb.append(" (scheduled at the origin below)").toString(), origin);
            }
        }
        EventLoop.log.error(sb.toString(), context.exception());
    }
}
