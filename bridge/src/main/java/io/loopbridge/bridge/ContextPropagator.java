package io.loopbridge.bridge;

import io.loopbridge.core.Coroutine;
import java.util.Map;
import java.util.Objects;

/**
 * Carries thread-bound context (SLF4J's MDC, a tracing span, a security principal) from the thread that
 * submits work through the {@link Bridge} to the coroutine or function that runs it: asyncio copies its
 * {@code contextvars} the same way in {@code call_soon}, {@code create_task} and {@code to_thread}.
 *
 * <p>{@link #wrap} is called on the <em>submitting</em> thread; it captures what it needs and returns the
 * work to run in its place, which installs the context, runs the original and restores what was there.
 * A {@link LoopPool} carries its own ({@link LoopPool.Builder#contextPropagator}), used for all work on its
 * loops; the default, for loops outside any pool and for a pool built without one, is installed with
 * {@link Bridge#setContextPropagator} and starts as {@link #MDC} (turn it off with
 * {@code -Dloopbridge.propagateMdc=false} or {@code Bridge.setContextPropagator(ContextPropagator.NONE)}).
 * To carry more, chain: for example with OpenTelemetry
 *
 * <pre>{@code
 * ContextPropagator tracing = new ContextPropagator() {
 *     public <T> Coroutine<T> wrap(Coroutine<T> work) {
 *         Context captured = Context.current();                // on the submitting thread
 *         return () -> {
 *             try (Scope s = captured.makeCurrent()) {        // inside the coroutine
 *                 return work.call();
 *             }
 *         };
 *     }
 * };
 * Bridge.setContextPropagator(ContextPropagator.MDC.andThen(tracing));
 * }</pre>
 *
 * A coroutine runs on its own virtual thread, so context installed at its start stays visible across its
 * awaits. Implementations must be thread-safe and cheap when there is nothing to carry (return
 * {@code work} itself).
 */
public interface ContextPropagator {
    /** Carries nothing. */
    ContextPropagator NONE = new ContextPropagator() {
        @Override
        public <T> Coroutine<T> wrap(Coroutine<T> work) {
            return work;
        }
    };

    /** Copies the submitter's SLF4J MDC into the work, and restores the runner's own MDC after it. */
    ContextPropagator MDC = new ContextPropagator() {
        @Override
        public <T> Coroutine<T> wrap(Coroutine<T> work) {
            Map<String, String> captured = org.slf4j.MDC.getCopyOfContextMap();
            if (captured == null || captured.isEmpty()) {
                return work; // the common case costs one thread-local read and no allocation
            }
            return () -> {
                Map<String, String> previous = org.slf4j.MDC.getCopyOfContextMap();
                org.slf4j.MDC.setContextMap(captured);
                try {
                    return work.call();
                } finally {
                    if (previous == null || previous.isEmpty()) {
                        org.slf4j.MDC.clear();
                    } else {
                        org.slf4j.MDC.setContextMap(previous);
                    }
                }
            };
        }
    };

    /**
     * Called on the submitting thread: returns the work to run instead of {@code work}, carrying whatever
     * this propagator captures now.
     */
    <T> Coroutine<T> wrap(Coroutine<T> work);

    /** This propagator's context outside, {@code next}'s inside. */
    default ContextPropagator andThen(ContextPropagator next) {
        Objects.requireNonNull(next, "next");
        ContextPropagator first = this;
        return new ContextPropagator() {
            @Override
            public <T> Coroutine<T> wrap(Coroutine<T> work) {
                return first.wrap(next.wrap(work));
            }
        };
    }
}
