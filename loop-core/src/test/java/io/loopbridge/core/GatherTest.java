package io.loopbridge.core;

import static io.loopbridge.testing.Coroutines.after;
import static io.loopbridge.testing.Coroutines.failAfter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Aio.gather / gatherSettled against CPython's gather (checked with python3 3.11). */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GatherTest {
    @Test
    void resultsComeInArgumentOrderNotCompletionOrder() throws Exception {
        List<String> r = Aio.run(() -> Aio.gather(after(30, "a"), after(10, "b"), after(0, "c")).await());
        assertThat(r).containsExactly("a", "b", "c");
    }

    @Test
    void mixesFuturesAndCoroutinesAndRepeatsADuplicate() throws Exception {
        List<Object> r = Aio.run(() -> {
            LoopFuture<String> f = Aio.getRunningLoop().createFuture();
            Task<String> t = Aio.createTask(after(0, "t"));
            LoopFuture<List<Object>> g = Aio.gather(List.of(f, after(0, "c"), t, t));
            Aio.getRunningLoop().callSoon(() -> f.setResult("f"));
            return g.await();
        });
        assertThat(r).containsExactly("f", "c", "t", "t");
    }

    @Test
    void emptyGatherIsDoneWithAnEmptyList() throws Exception {
        List<Object> r = Aio.run(() -> {
            LoopFuture<List<Object>> g = Aio.gather(List.of());
            assertThat(g.isDone()).isTrue();
            return g.await();
        });
        assertThat(r).isEmpty();
    }

    @Test
    void firstFailureFailsAtOnceWithoutCancellingTheOthers() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        String later = Aio.run(() -> {
            LoopFuture<String> go = Aio.getRunningLoop().createFuture();
            Task<String> other = Aio.createTask(go::await);
            LoopFuture<List<Object>> g = Aio.gather(List.of(failAfter(1, boom), other));
            assertThatThrownBy(g::await).isSameAs(boom);
            Aio.sleep(Duration.ZERO);
            assertThat(other.isDone()).isFalse();
            go.setResult("x");
            return other.await();
        });
        assertThat(later).isEqualTo("x");
    }

    @Test
    void cancellingTheGatherCancelsChildrenAndEndsCancelled() throws Exception {
        Aio.run(() -> {
            Task<String> a = Aio.createTask(after(10_000, "a"));
            Task<String> b = Aio.createTask(after(10_000, "b"));
            LoopFuture<List<String>> g = Aio.gather(a, b);
            assertThat(g.cancel("stop")).isTrue();
            assertThat(g.isDone()).isFalse(); // as CPython: it ends once the children have
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class).hasMessage("stop");
            // Deliberate difference: CPython reports cancelled() == false here, with a CancelledError exception.
            assertThat(g.isCancelled()).isTrue();
            assertThat(a.isCancelled()).isTrue();
            assertThat(b.isCancelled()).isTrue();
            assertThat(g.cancel()).isFalse();
            return null;
        });
    }

    @Test
    void cancelledGatherStaysCancelledEvenIfAChildSwallowsIt() throws Exception {
        String kept = Aio.run(() -> {
            Task<String> stubborn = Aio.createTask(() -> {
                try {
                    Aio.sleep(Duration.ofSeconds(10));
                    return "slept";
                } catch (CancellationException e) {
                    return "kept";
                }
            });
            Aio.sleep(Duration.ZERO);
            LoopFuture<List<String>> g = Aio.gather(stubborn);
            g.cancel();
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class);
            assertThat(g.isCancelled()).isTrue();
            return stubborn.result();
        });
        assertThat(kept).isEqualTo("kept");
    }

    @Test
    void cancellingTheAwaitingTaskCancelsTheGatherAndItsChildren() throws Exception {
        Aio.run(() -> {
            Task<String> a = Aio.createTask(after(10_000, "a"));
            Task<List<String>> waiter = Aio.createTask(() -> Aio.gather(a).await());
            Aio.sleep(Duration.ZERO);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(waiter.isCancelled()).isTrue();
            assertThat(a.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void aChildCancelledFromOutsideCancelsTheGather() throws Exception {
        Aio.run(() -> {
            Task<String> c = Aio.createTask(after(10_000, "c"));
            Task<String> d = Aio.createTask(after(20, "d"));
            LoopFuture<List<String>> g = Aio.gather(c, d);
            Aio.sleep(Duration.ZERO);
            c.cancel("outside");
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class).hasMessage("outside");
            assertThat(d.isCancelled()).isFalse();
            assertThat(d.await()).isEqualTo("d");
            return null;
        });
    }

    @Test
    void settledListsEveryOutcomeIncludingCancellation() throws Exception {
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        List<Outcome<Integer>> r = Aio.run(() -> {
            Task<Integer> c = Aio.createTask(after(10_000, 3));
            LoopFuture<List<Outcome<Integer>>> g = Aio.gatherSettled(List.of(after(0, 1), failAfter(0, boom), c));
            Aio.sleep(Duration.ofMillis(10));
            c.cancel();
            return g.await();
        });
        assertThat(r.get(0)).isEqualTo(new Outcome.Success<>(1));
        assertThat(r.get(1)).isEqualTo(new Outcome.Failure<Integer>(boom));
        assertThat(r.get(2)).isInstanceOfSatisfying(Outcome.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(CancellationException.class));
        List<String> described = new ArrayList<>();
        for (Outcome<Integer> o : r) {
            described.add(switch (o) {
                case Outcome.Success<Integer>(var v) -> "ok " + v;
                case Outcome.Failure<Integer>(var e) -> "failed " + e.getClass().getSimpleName();
            });
        }
        assertThat(described).containsExactly("ok 1", "failed IllegalArgumentException", "failed CancellationException");
        assertThatThrownBy(r.get(1)::get).isSameAs(boom);
    }

    @Test
    void cancellingASettledGatherStillEndsCancelled() throws Exception {
        Aio.run(() -> {
            LoopFuture<List<Outcome<String>>> g = Aio.gatherSettled(after(10_000, "a"), after(10_000, "b"));
            Aio.sleep(Duration.ZERO);
            g.cancel();
            assertThatThrownBy(g::await).isInstanceOf(CancellationException.class);
            assertThat(g.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void badInputFailsAtTheCall() throws Exception {
        EventLoop other = EventLoop.create();
        try {
            Aio.run(() -> {
                assertThatThrownBy(() -> Aio.gather(List.of("not a future")))
                        .isInstanceOf(IllegalArgumentException.class);
                LoopFuture<Object> mine = Aio.getRunningLoop().createFuture();
                LoopFuture<Object> theirs = other.createFuture();
                assertThatThrownBy(() -> Aio.gather(mine, theirs)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("one loop");
                return null;
            });
        } finally {
            other.close();
        }
        assertThatThrownBy(() -> Aio.gather(after(0, 1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
    }

    @Test
    void gatherFromAnotherThreadFailsFast() throws Exception {
        String message = Aio.run(() -> {
            LoopFuture<Integer> f = Aio.getRunningLoop().createFuture();
            java.util.concurrent.CompletableFuture<String> seen = new java.util.concurrent.CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    Aio.gather(f);
                    seen.complete("no error");
                } catch (IllegalStateException e) {
                    seen.complete(e.getMessage());
                }
            });
            t.join(10_000);
            return seen.getNow("thread did not finish");
        });
        assertThat(message).contains("called from thread");
    }
}
