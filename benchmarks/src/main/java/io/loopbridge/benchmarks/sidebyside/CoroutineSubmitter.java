package io.loopbridge.benchmarks.sidebyside;

import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import java.util.concurrent.CompletableFuture;

/**
 * {@code run_coroutine_threadsafe} as the harness needs it: start {@code coroutine} as a task on
 * {@code loop} from any thread and get a {@link CompletableFuture} of its outcome.
 *
 * <p>The bridge module's {@code Bridge.runCoroutineThreadsafe} is the real thing; until the benchmarks
 * depend on it, {@link #LOOP_CORE} does the same with loop-core alone. Switching is one line:
 * {@code static final CoroutineSubmitter DEFAULT = Bridge::runCoroutineThreadsafe;} (with the bridge
 * dependency), so W3 then measures the bridge users call.
 */
@FunctionalInterface
interface CoroutineSubmitter {
    <T> CompletableFuture<T> submit(Coroutine<T> coroutine, EventLoop loop);

    /** What the harness uses. */
    CoroutineSubmitter DEFAULT = CoroutineSubmitter::viaLoopCore;

    /** loop-core only: hop onto the loop, create the task there, complete the future from its done-callback. */
    static <T> CompletableFuture<T> viaLoopCore(Coroutine<T> coroutine, EventLoop loop) {
        CompletableFuture<T> cf = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> {
            Task<T> task = loop.createTask(coroutine);
            task.addDoneCallback(f -> {
                try {
                    cf.complete(f.result());
                } catch (Throwable e) {
                    cf.completeExceptionally(e);
                }
            });
        });
        return cf;
    }
}
