package io.loopbridge.testing;

import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.ExceptionHandler;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Shared test fixture: an exception handler that records what a loop reports (a task destroyed while
 * pending, an exception never retrieved, a callback that threw) instead of logging it, so that a test
 * states what a user would observe and the build log stays for what went wrong.
 *
 * <pre>{@code
 * ReportedErrors reports = new ReportedErrors();
 * loop.setExceptionHandler(reports);           // or EventLoop.builder().exceptionHandler(reports)
 * ...
 * loop.close();
 * assertThat(reports.messages()).containsOnly(ReportedErrors.DESTROYED_PENDING);
 * }</pre>
 *
 * <p>Any thread (reports come from the loop's thread, a closing thread or the Cleaner's).
 */
public final class ReportedErrors implements ExceptionHandler {
    /** What a loop closed with a task still pending reports, once per task. */
    public static final String DESTROYED_PENDING = "Task was destroyed but it is pending!";
    /** What a failed future garbage-collected before anyone retrieved its exception reports. */
    public static final String NEVER_RETRIEVED = "Future exception was never retrieved";

    private final ConcurrentLinkedQueue<ErrorContext> contexts = new ConcurrentLinkedQueue<>();

    @Override
    public void handle(EventLoop loop, ErrorContext context) {
        contexts.add(context);
    }

    /** Everything reported so far, in order. */
    public List<ErrorContext> all() {
        return List.copyOf(contexts);
    }

    /** The messages reported so far, in order. */
    public List<String> messages() {
        return contexts.stream().map(ErrorContext::message).toList();
    }

    /** The reports whose message starts with {@code prefix}. */
    public List<ErrorContext> withMessage(String prefix) {
        return contexts.stream().filter(c -> c.message().startsWith(prefix)).toList();
    }

    /** Forgets what was reported so far. */
    public void clear() {
        contexts.clear();
    }
}
