package io.loopbridge.spring.boot;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The actuator endpoint {@code looptasks} ({@code /actuator/looptasks} once exposed): every pending task of every
 * loop of the pool, with its state, age and stack, as the demo's {@code /debug/tasks} and aiomonitor show them.
 * Each loop is asked on its own thread; a loop that does not answer within {@link #ANSWER_TIMEOUT} (blocked, or
 * very busy) is listed with that instead of its tasks. Stacks show code: expose it only where that is acceptable.
 * Thread-safe.
 */
@Endpoint(id = "looptasks")
public final class LoopTasksEndpoint {
    /** How long the endpoint waits for the loops' answers, all together. */
    public static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(1);

    private final LoopPool pool;

    /** The endpoint over {@code pool}. */
    public LoopTasksEndpoint(LoopPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    /** Every loop's pending tasks. */
    @ReadOperation
    public PoolTasks tasks() throws InterruptedException {
        List<EventLoop> loops = pool.loops();
        List<CompletableFuture<List<TaskInfo>>> answers = new ArrayList<>();
        for (EventLoop loop : loops) {
            CompletableFuture<List<TaskInfo>> answer;
            try {
                answer = Bridge.callSoonThreadsafe(loop, () -> describe(loop));
            } catch (RejectedExecutionException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answers.add(answer);
        }
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        List<LoopTasks> result = new ArrayList<>();
        for (int i = 0; i < loops.size(); i++) {
            CompletableFuture<List<TaskInfo>> answer = answers.get(i);
            String name = loops.get(i).name();
            try {
                result.add(new LoopTasks(name, answer.get(Math.max(0, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS), null));
            } catch (TimeoutException e) {
                answer.cancel(false);
                result.add(new LoopTasks(name, List.of(), "no answer within " + ANSWER_TIMEOUT.toMillis()
                        + " ms: the loop is blocked or very busy (see the health indicator)"));
            } catch (ExecutionException e) {
                result.add(new LoopTasks(name, List.of(), "the loop cannot answer: " + e.getCause().getMessage()));
            }
        }
        return new PoolTasks(pool.name(), result);
    }

    /** On {@code loop}'s thread. */
    private static List<TaskInfo> describe(EventLoop loop) {
        long now = loop.time();
        List<TaskInfo> tasks = new ArrayList<>();
        for (Task<?> t : loop.allTasks()) {
            tasks.add(new TaskInfo(t.getName(), t.toString(), TimeUnit.NANOSECONDS.toMillis(now - t.createdAt()),
                    Arrays.stream(t.getStack()).map(StackTraceElement::toString).toList()));
        }
        return tasks;
    }

    /**
     * The endpoint's answer.
     *
     * @param pool the pool's name
     * @param loops each loop's tasks, in slot order
     */
    public record PoolTasks(String pool, List<LoopTasks> loops) {
    }

    /**
     * One loop's pending tasks.
     *
     * @param loop the loop's name
     * @param tasks its pending tasks (empty when it did not answer)
     * @param error why the loop did not answer, or null
     */
    public record LoopTasks(String loop, List<TaskInfo> tasks, String error) {
    }

    /**
     * One pending task.
     *
     * @param name the task's name
     * @param state the task's {@code toString()}: its state and coroutine
     * @param ageMs milliseconds since it was created
     * @param stack where its coroutine is suspended, innermost frame first
     */
    public record TaskInfo(String name, String state, long ageMs, List<String> stack) {
    }
}
