package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** asyncio.Future semantics, each case checked against CPython 3.11 first (Python in the comments). */
@Timeout(60)
class LoopFutureTest {
    private final EventLoop loop = EventLoop.builder().name("futures").build();
    private final List<Object> log = new ArrayList<>();

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    private void runOneIteration() {
        loop.callSoon(loop::stop);
        loop.runForever();
    }

    /* f = l.create_future(); f.result() -> InvalidStateError('Result is not set.'); f.exception() -> likewise */
    @Test
    void aPendingFutureHasNoResultNorException() {
        LoopFuture<String> f = loop.createFuture();
        assertThat(f.isDone()).isFalse();
        assertThat(f.isCancelled()).isFalse();
        assertThat(f.getLoop()).isSameAs(loop);
        assertThatThrownBy(f::result).isExactlyInstanceOf(InvalidStateException.class)
                .hasMessageContaining("not ready");
        assertThatThrownBy(f::exception).isExactlyInstanceOf(InvalidStateException.class)
                .hasMessageContaining("not set");
        assertThat(f).hasToString("LoopFuture[pending]");
    }

    @Test
    void aFinishedFutureGivesItsResultAndNoException() throws Exception {
        LoopFuture<String> f = loop.createFuture();
        f.setResult("v");
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isFalse();
        assertThat(f.result()).isEqualTo("v");
        assertThat(f.exception()).isNull();
        LoopFuture<String> nul = loop.createFuture();
        nul.setResult(null);
        assertThat(nul.result()).isNull();
    }

    /* f.set_exception(e): f.result() raises e itself; f.exception() is e */
    @Test
    void aFailedFutureThrowsTheVeryExceptionObjectCheckedOrNot() {
        IOException checked = new IOException("io");
        LoopFuture<String> f = loop.createFuture();
        f.setException(checked);
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isFalse();
        assertThatThrownBy(f::result).isSameAs(checked);
        assertThatThrownBy(f::result).isSameAs(checked);
        assertThat(f.exception()).isSameAs(checked);

        StackOverflowError error = new StackOverflowError();
        LoopFuture<String> g = loop.createFuture();
        g.setException(error);
        assertThatThrownBy(g::result).isSameAs(error);
    }

    /* f.cancel('because'); f.result() -> CancelledError('because'); f.cancel() again -> False */
    @Test
    void aCancelledFutureThrowsCancellationCarryingTheMessage() {
        LoopFuture<String> f = loop.createFuture();
        assertThat(f.cancel("because")).isTrue();
        assertThat(f.isDone()).isTrue();
        assertThat(f.isCancelled()).isTrue();
        assertThatThrownBy(f::result).isExactlyInstanceOf(CancellationException.class).hasMessage("because");
        assertThatThrownBy(f::exception).isExactlyInstanceOf(CancellationException.class).hasMessage("because");
        assertThat(f.cancel()).isFalse();
        assertThat(f.cancel("again")).isFalse();
        assertThatThrownBy(f::result).hasMessage("because");

        LoopFuture<String> g = loop.createFuture();
        assertThat(g.cancel()).isTrue();
        assertThatThrownBy(g::result).isExactlyInstanceOf(CancellationException.class).hasMessage(null);
    }

    /*
     * f.set_result(1); f.set_result(2) -> InvalidStateError; f3.cancel(); f3.set_result(2) -> InvalidStateError;
     * f.cancel() on a finished future -> False
     */
    @Test
    void aDoneFutureCannotBeSetAgain() throws Exception {
        LoopFuture<Integer> f = loop.createFuture();
        f.setResult(1);
        assertThatThrownBy(() -> f.setResult(2)).isExactlyInstanceOf(InvalidStateException.class);
        assertThatThrownBy(() -> f.setException(new RuntimeException()))
                .isExactlyInstanceOf(InvalidStateException.class);
        assertThat(f.cancel()).isFalse();
        assertThat(f.result()).isEqualTo(1);

        LoopFuture<Integer> c = loop.createFuture();
        c.cancel();
        assertThatThrownBy(() -> c.setResult(2)).isExactlyInstanceOf(InvalidStateException.class);

        LoopFuture<Integer> e = loop.createFuture();
        RuntimeException first = new RuntimeException("first");
        e.setException(first);
        assertThatThrownBy(() -> e.setResult(2)).isExactlyInstanceOf(InvalidStateException.class);
        assertThat(e.exception()).isSameAs(first);
    }

    @Test
    void aResultWhoseToStringThrowsStillGetsAClearInvalidStateError() {
        LoopFuture<Object> f = loop.createFuture();
        f.setResult(new Object() {
            @Override
            public String toString() {
                throw new UnsupportedOperationException("no toString");
            }
        });
        assertThatThrownBy(() -> f.setResult("again")).isExactlyInstanceOf(InvalidStateException.class)
                .hasMessageContaining("already done").hasMessageContaining("toString() failed");
    }

    @Test
    void badInputFailsAtTheCall() {
        LoopFuture<Integer> f = loop.createFuture();
        assertThatThrownBy(() -> f.setException(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> f.setException(new CancellationException()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cancel()");
        assertThatThrownBy(() -> f.addDoneCallback(null)).isInstanceOf(NullPointerException.class);
        assertThat(f.isDone()).isFalse();
        assertThatThrownBy(f::await).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a coroutine");
    }

    /*
     * f.set_result(1); f.add_done_callback(cb1); f.add_done_callback(cb2); f.add_done_callback(cb1);
     * order.append('after-add'); f.remove_done_callback(cb1) -> 0 (already scheduled); f.add_done_callback(cb1)
     * run -> ['after-add', 'cb1', 'cb2', 'cb1', 'cb1']
     */
    @Test
    void callbacksOfADoneFutureAreScheduledNotRunInlineInRegistrationOrder() {
        LoopFuture<Integer> f = loop.createFuture();
        f.setResult(1);
        Consumer<LoopFuture<Integer>> cb1 = fut -> log.add("cb1");
        Consumer<LoopFuture<Integer>> cb2 = fut -> log.add("cb2");
        f.addDoneCallback(cb1);
        f.addDoneCallback(cb2);
        f.addDoneCallback(cb1);
        log.add("after-add");
        assertThat(f.removeDoneCallback(cb1)).isZero();
        f.addDoneCallback(cb1);
        runOneIteration();
        assertThat(log).containsExactly("after-add", "cb1", "cb2", "cb1", "cb1");
    }

    /*
     * f2 pending: add cb1, cb2, cb1; remove_done_callback(cb1) -> 2, again -> 0; set_result -> only cb2 runs,
     * one iteration later, with the future as its argument.
     */
    @Test
    void callbacksOfAPendingFutureRunInRegistrationOrderOnceItIsDoneAndCanBeRemoved() {
        LoopFuture<String> f = loop.createFuture();
        Consumer<LoopFuture<String>> cb1 = fut -> log.add("cb1");
        Consumer<LoopFuture<String>> cb2 = fut -> log.add("cb2 " + (fut == f));
        Consumer<LoopFuture<String>> cb3 = fut -> log.add("cb3");
        f.addDoneCallback(cb1);
        f.addDoneCallback(cb2);
        f.addDoneCallback(cb1);
        f.addDoneCallback(cb3);
        assertThat(f.removeDoneCallback(cb1)).isEqualTo(2);
        assertThat(f.removeDoneCallback(cb1)).isZero();
        loop.callSoon(() -> {
            f.setResult("x");
            log.add("set");
        });
        runOneIteration();
        assertThat(log).containsExactly("set");
        runOneIteration();
        assertThat(log).containsExactly("set", "cb2 true", "cb3");
    }

    /** asyncio compares with ==, i.e. __eq__: a callback equal to a registered one removes it. */
    @Test
    void removeDoneCallbackComparesWithEquals() {
        record Tagged(String tag, List<Object> log) implements Consumer<LoopFuture<String>> {
            @Override
            public void accept(LoopFuture<String> f) {
                log.add(tag);
            }
        }
        LoopFuture<String> f = loop.createFuture();
        f.addDoneCallback(new Tagged("x", log));
        f.addDoneCallback(new Tagged("y", log));
        f.addDoneCallback(new Tagged("x", log));
        assertThat(f.removeDoneCallback(new Tagged("x", log))).isEqualTo(2);
        f.setResult("done");
        runOneIteration();
        assertThat(log).containsExactly("y");
        assertThatThrownBy(() -> f.removeDoneCallback(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theOnlyCallbackCanBeRemoved() {
        LoopFuture<String> f = loop.createFuture();
        Consumer<LoopFuture<String>> cb = fut -> log.add("cb");
        f.addDoneCallback(cb);
        assertThat(f.removeDoneCallback(cb)).isEqualTo(1);
        assertThat(f.removeDoneCallback(cb)).isZero();
        f.setResult("x");
        runOneIteration();
        assertThat(log).isEmpty();
    }

    @Test
    void cancellingSchedulesTheCallbacksToo() {
        LoopFuture<String> f = loop.createFuture();
        f.addDoneCallback(fut -> log.add("cancelled=" + fut.isCancelled()));
        f.cancel("stop it");
        assertThat(log).isEmpty();
        runOneIteration();
        assertThat(log).containsExactly("cancelled=true");
    }

    @Test
    void aThrowingDoneCallbackGoesToTheHandlerAndTheOthersStillRun() {
        List<Throwable> seen = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> seen.add(ctx.exception()));
        LoopFuture<String> f = loop.createFuture();
        RuntimeException boom = new RuntimeException("cb failed");
        f.addDoneCallback(fut -> {
            throw boom;
        });
        f.addDoneCallback(fut -> log.add("second"));
        f.setResult("x");
        runOneIteration();
        assertThat(seen).containsExactly(boom);
        assertThat(log).containsExactly("second");
    }

    /** DESIGN: done-callbacks of a future completed after its loop closed run on the completing thread. */
    @Test
    void callbacksOfAFutureCompletedAfterItsLoopClosedRunInline() {
        LoopFuture<String> f = loop.createFuture();
        f.addDoneCallback(fut -> log.add("pending one"));
        loop.close();
        f.setResult("late");
        assertThat(log).containsExactly("pending one");
        f.addDoneCallback(fut -> log.add("added after"));
        assertThat(log).containsExactly("pending one", "added after");
    }

    // ---- "Future exception was never retrieved" ---------------------------------------------------

    /*
     * seen = []; l.set_exception_handler(lambda loop, ctx: seen.append(ctx['message']))
     * f = l.create_future(); f.set_exception(ValueError('lost')); del f; gc.collect()
     * f = l.create_future(); f.set_exception(ValueError('kept')); f.exception(); del f; gc.collect()
     * -> seen == ['Future exception was never retrieved']   (only the first)
     */
    @Test
    void anUnretrievedExceptionIsReportedWhenTheFutureIsCollectedAndARetrievedOneIsNot() throws Exception {
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        CountDownLatch lostReported = new CountDownLatch(1);
        RuntimeException lost = new RuntimeException("lost");
        loop.setExceptionHandler((l, ctx) -> {
            assertThat(Thread.currentThread()).isSameAs(l.thread()); // reported on the loop's thread
            reports.add(ctx);
            if (ctx.exception() == lost) {
                lostReported.countDown();
            }
        });
        try (LoopThread lt = new LoopThread(loop)) {
            WeakReference<?> retrievedByResult = lt.call(() -> failedFuture(new RuntimeException("kept 1"), true));
            WeakReference<?> retrievedByException = lt.call(() -> {
                LoopFuture<String> f = loop.createFuture();
                f.setException(new RuntimeException("kept 2"));
                assertThat(f.exception()).hasMessage("kept 2");
                return new WeakReference<>(f);
            });
            WeakReference<?> unretrieved = lt.call(() -> failedFuture(lost, false));
            for (int i = 0; i < 200 && (lostReported.getCount() > 0 || retrievedByResult.get() != null
                    || retrievedByException.get() != null); i++) {
                System.gc(); // nudging the collector; the latch is what we wait on
                lostReported.await(50, TimeUnit.MILLISECONDS);
            }
            assertThat(unretrieved.get()).isNull();
            assertThat(retrievedByResult.get()).isNull();
            assertThat(retrievedByException.get()).isNull();
            assertThat(lostReported.await(10, TimeUnit.SECONDS)).isTrue();
            lt.call(() -> null); // whatever the Cleaner queued before now has been handled
        }
        assertThat(reports).singleElement().satisfies(ctx -> {
            assertThat(ctx.message()).isEqualTo("Future exception was never retrieved");
            assertThat(ctx.exception()).isSameAs(lost);
        });
    }

    private WeakReference<LoopFuture<String>> failedFuture(Throwable e, boolean retrieve) {
        LoopFuture<String> f = loop.createFuture();
        f.setException(e);
        if (retrieve) {
            assertThatThrownBy(f::result).isSameAs(e);
        }
        return new WeakReference<>(f);
    }

    @Test
    void anUnretrievedExceptionCollectedWhileTheLoopIsStoppedIsReportedNoLaterThanClose() throws Exception {
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        loop.setExceptionHandler((l, ctx) -> reports.add(ctx));
        RuntimeException lost = new RuntimeException("lost while stopped");
        WeakReference<?> ref = failedFuture(lost, false);
        for (int i = 0; i < 200 && ref.get() != null; i++) {
            System.gc(); // nudging the collector
        }
        assertThat(ref.get()).isNull();
        // The Cleaner thread queues the report for the loop's thread; wait (bounded) until it has.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loop.stats().inboxCount() == 0 && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
        assertThat(loop.stats().inboxCount()).isEqualTo(1);
        assertThat(reports).isEmpty();
        loop.close(); // the report must not be dropped with the rest of the inbox
        assertThat(reports).extracting(ErrorContext::exception).containsExactly(lost);
    }
}
