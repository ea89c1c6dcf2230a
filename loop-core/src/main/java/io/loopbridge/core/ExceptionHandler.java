package io.loopbridge.core;

/**
 * Receives errors that have no caller to go to: a callback that threw, a future whose exception nobody
 * retrieved, a task destroyed while pending. Mirrors the handler of {@code loop.set_exception_handler}.
 *
 * <p>Called on the loop's thread, except for errors found while the loop is closed (then on the thread that
 * found them). A handler that throws is itself reported through the default handler.
 */
@FunctionalInterface
public interface ExceptionHandler {
    void handle(EventLoop loop, ErrorContext context);
}
