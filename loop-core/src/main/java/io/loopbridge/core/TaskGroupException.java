package io.loopbridge.core;

import java.util.List;

/**
 * The failures of a {@link TaskGroup}: asyncio's {@code ExceptionGroup('unhandled errors in a TaskGroup')}.
 * Holds every child's exception in the order they happened, then the body's own if it failed; never a
 * cancellation. Each is also attached as suppressed, so a logged stack trace shows them all.
 */
public final class TaskGroupException extends Exception {
    private final transient List<Throwable> exceptions;

    TaskGroupException(List<Throwable> exceptions) {
        super("unhandled errors in a TaskGroup (" + exceptions.size() + " sub-exception"
                + (exceptions.size() == 1 ? "" : "s") + ")");
        this.exceptions = List.copyOf(exceptions);
        for (Throwable t : this.exceptions) {
            addSuppressed(t);
        }
    }

    /** The exceptions, in the order they happened. */
    public List<Throwable> exceptions() {
        return exceptions;
    }
}
