package io.loopbridge.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A {@link LoopFuture} completed on its loop while another thread looks at it and mirrors it with
 * {@link Bridge#toCompletableFuture}: what the other thread sees once {@code isDone()} is true is the
 * complete outcome, and the mirror always ends with the same outcome, whether the hook reached the loop
 * before the completion, after it, or only after the loop was closed.
 */
public class FutureMirrorTest {
    static final int VALUE = 42;
    /** Codes for r1 (what the observer read) and r2 (the mirror's end). */
    static final int PENDING = 0, RESULT = 1, CANCELLED = 2, WRONG = 3, NOT_DONE = 4;

    static int observe(LoopFuture<Integer> f) {
        if (!f.isDone()) {
            return PENDING;
        }
        if (f.isCancelled()) {
            return CANCELLED;
        }
        try {
            return f.result() == VALUE ? RESULT : WRONG;
        } catch (Exception e) {
            return WRONG;
        }
    }

    static int end(CompletableFuture<Integer> cf) {
        if (!cf.isDone()) {
            return NOT_DONE;
        }
        if (cf.isCancelled()) {
            return CANCELLED;
        }
        return cf.isCompletedExceptionally() ? WRONG : cf.join() == VALUE ? RESULT : WRONG;
    }

    /** One loop iteration that runs {@code action}, then close: whatever the mirror queued is settled. */
    static void runOnceAndClose(EventLoop loop, Runnable action) {
        loop.callSoon(action);
        loop.stop();
        loop.runForever();
        loop.close();
    }

    @JCStressTest
    @Description("setResult on the loop vs isDone/result/toCompletableFuture from another thread")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Seen pending; the mirror got the result")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Seen done with its result; so did the mirror")
    @Outcome(expect = FORBIDDEN, desc = "A torn read, or a mirror with another or no outcome")
    @State
    public static class SetResult {
        final EventLoop loop = EventLoop.create();
        final LoopFuture<Integer> future = loop.createFuture();
        CompletableFuture<Integer> mirror;

        @Actor
        public void loop() {
            runOnceAndClose(loop, () -> future.setResult(VALUE));
        }

        @Actor
        public void observer(II_Result r) {
            r.r1 = observe(future);
            mirror = Bridge.toCompletableFuture(future);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = end(mirror);
        }
    }

    @JCStressTest
    @Description("cancel on the loop vs isDone/isCancelled/toCompletableFuture from another thread")
    @Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "Seen pending; the mirror was cancelled")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Seen cancelled; so was the mirror")
    @Outcome(expect = FORBIDDEN, desc = "A torn read, or a mirror with another or no outcome")
    @State
    public static class Cancel {
        final EventLoop loop = EventLoop.create();
        final LoopFuture<Integer> future = loop.createFuture();
        CompletableFuture<Integer> mirror;

        @Actor
        public void loop() {
            runOnceAndClose(loop, future::cancel);
        }

        @Actor
        public void observer(II_Result r) {
            r.r1 = observe(future);
            mirror = Bridge.toCompletableFuture(future);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = end(mirror);
        }
    }

    @JCStressTest
    @Description("setResult on the loop vs cancel(true) of its toCompletableFuture mirror from another thread")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The result won: mirror and future have it")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "The cancel won: mirror and future are cancelled")
    @Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "The mirror was cancelled while the result was on its way from the loop (asyncio's window too)")
    @Outcome(expect = FORBIDDEN, desc = "A mirror with a result its future lacks, or no outcome")
    @State
    public static class SetResultVsMirrorCancel {
        final EventLoop loop = EventLoop.create();
        final LoopFuture<Integer> future = loop.createFuture();
        final CompletableFuture<Integer> mirror = Bridge.toCompletableFuture(future); // hook queued on the loop

        @Actor
        public void loop() {
            // two iterations: the hook and the cancel request may both arrive before the result is set
            loop.callSoon(() -> loop.callSoon(() -> {
                if (!future.isDone()) {
                    future.setResult(VALUE);
                }
            }));
            loop.stop();
            loop.runForever();
            loop.stop();
            loop.runForever();
            loop.close();
        }

        @Actor
        public void canceller() {
            mirror.cancel(true);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = end(mirror);
            r.r2 = observe(future);
        }
    }
}
