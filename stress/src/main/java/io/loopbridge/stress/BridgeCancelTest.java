package io.loopbridge.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@code Bridge.runCoroutineThreadsafe(...).cancel(true)} from a foreign thread while the task runs to
 * completion on its loop: the CompletableFuture ends with the value or cancelled, never both and never
 * neither, and the task agrees (a value means the task finished with it; a cancelled task means a
 * cancelled future).
 */
@JCStressTest
@Description("cf.cancel(true) from another thread vs the bridged task finishing on its loop")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The task won: the future has its value")
@Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "The cancel reached the running task: both cancelled")
@Outcome(id = "2, 5", expect = ACCEPTABLE, desc = "Cancelled before the loop started the task: it never ran")
@Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "Cancelled while the finished task's value was on its way to the future (asyncio's window too)")
@Outcome(expect = FORBIDDEN, desc = "A value with a cancelled task, a future with no outcome, or a task left pending")
@State
public class BridgeCancelTest {
    static final int VALUE = 42;
    static final int RESULT = 1, CANCELLED = 2, WRONG = 3, NOT_DONE = 4, NO_TASK = 5;
    /** Iterations after which the loop gives up (a hang would be a bug: it shows as NOT_DONE). */
    static final int MAX_ITERATIONS = 100_000;

    final EventLoop loop = EventLoop.create();
    final CompletableFuture<Integer> cf = Bridge.runCoroutineThreadsafe(() -> {
        Aio.sleep(Duration.ZERO); // one suspension: the cancel may land mid-task
        return VALUE;
    }, loop);
    Task<?> task;

    @Actor
    public void loop() {
        for (int i = 0; i < MAX_ITERATIONS; i++) {
            loop.stop();
            loop.runForever(); // one iteration
            List<Task<?>> pending = loop.allTasks();
            if (task == null && !pending.isEmpty()) {
                task = pending.getFirst(); // created by the first iteration, if it was not cancelled before
            }
            if (cf.isDone() && pending.isEmpty()) {
                break;
            }
        }
        if (loop.allTasks().isEmpty()) {
            loop.close(); // a late cancel request is then refused, as it should be: nothing is left to cancel
        }
    }

    @Actor
    public void canceller() {
        cf.cancel(true);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = !cf.isDone() ? NOT_DONE : cf.isCancelled() ? CANCELLED
                : cf.isCompletedExceptionally() ? WRONG : cf.join() == VALUE ? RESULT : WRONG;
        Task<?> t = task;
        if (t == null) {
            r.r2 = NO_TASK;
        } else if (!t.isDone()) {
            r.r2 = NOT_DONE;
        } else if (t.isCancelled()) {
            r.r2 = CANCELLED;
        } else {
            try {
                r.r2 = Integer.valueOf(VALUE).equals(t.result()) ? RESULT : WRONG;
            } catch (Exception e) {
                r.r2 = WRONG;
            }
        }
    }
}
