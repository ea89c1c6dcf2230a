package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What each coroutine engine does with a JDK blocking call inside a coroutine. Fast: the virtual thread
 * parks and the loop runs other tasks meanwhile (an implicit await point), and cancel() interrupts the call.
 * Fallback: the call holds the loop thread for its duration, as a blocking call does in asyncio.
 */
@Timeout(30)
class EngineTest {
    private static final String EXPECTED = System.getProperty("loopbridge.expectedEngine");

    private static boolean fast() {
        return Engine.INSTANCE.name().equals("fast");
    }

    private static void assumeFast() {
        assumeTrue(fast(), "only the fast engine frees the loop during a JDK blocking call");
    }

    @Test
    void theEngineIsTheOneThisRunExpects() {
        if (EXPECTED != null) {
            assertThat(Engine.INSTANCE.name()).isEqualTo(EXPECTED);
        }
        assertThat(Engine.INSTANCE.interruptsBlockingCalls()).isEqualTo(fast());
    }

    /**
     * Task A is in Thread.sleep(200); task B counts its loop iterations meanwhile. Fast: B's count moved
     * while A slept. Fallback: it did not move at all, because A held the loop thread.
     */
    @Test
    void threadSleepInACoroutineFreesTheLoopOnlyInTheFastEngine() throws Exception {
        long[] counter = {0};
        long[] seen = Aio.run(() -> {
            boolean[] stop = {false};
            Task<Void> b = Aio.createTask(() -> {
                while (!stop[0]) {
                    counter[0]++;
                    Aio.sleep(Duration.ZERO);
                }
                return null;
            });
            Task<long[]> a = Aio.createTask(() -> {
                long before = counter[0];
                Thread.sleep(200);
                return new long[] {before, counter[0]};
            });
            long[] r = a.await();
            stop[0] = true;
            b.await();
            return r;
        });
        if (fast()) {
            assertThat(seen[1]).as("B ran while A was in Thread.sleep").isGreaterThan(seen[0]);
        } else {
            assertThat(seen[1]).as("the fallback engine holds the loop during Thread.sleep").isEqualTo(seen[0]);
        }
    }

    /**
     * A virtual thread that a coroutine starts (in the fast engine it inherits the task's scheduler) runs off
     * the loop thread, blocks without holding the loop, and leaves its task's own steps alone: the task goes on
     * suspending and resuming while the child is parked, and after.
     */
    @Test
    void aVirtualThreadStartedInACoroutineRunsOffTheLoopAndLeavesTheTaskAlone() throws Exception {
        String[] carriers = Aio.run(() -> {
            String loopThread = Thread.currentThread().toString();
            CompletableFuture<String> childCarrier = new CompletableFuture<>();
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread child = Thread.ofVirtual().start(() -> {
                childCarrier.complete(Thread.currentThread().toString());
                try {
                    release.await(); // parks the child; its unpark is dispatched again later
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 20; i++) {
                Aio.sleep(Duration.ofMillis(1)); // the task's own suspensions, while the child is parked
            }
            release.countDown();
            for (int i = 0; i < 20 && child.isAlive(); i++) {
                Aio.sleep(Duration.ofMillis(5)); // awaiting, not blocking: the child needs no loop to finish
            }
            assertThat(child.join(Duration.ofSeconds(10))).as("the child finished").isTrue();
            Aio.sleep(Duration.ZERO);
            return new String[] {loopThread, childCarrier.get(10, java.util.concurrent.TimeUnit.SECONDS)};
        });
        if (fast()) { // the fallback engine's tasks run on the default scheduler's carriers, as the child does
            String loopThread = carriers[0].substring(carriers[0].indexOf('@') + 1);
            assertThat(carriers[1]).as("the child's carrier").doesNotEndWith("@" + loopThread);
        }
    }

    /** A waits in BlockingQueue.take() for what B, on the same loop, puts: only possible if A frees the loop. */
    @Test
    void blockingQueueTakeFreesTheLoop() throws Exception {
        assumeFast();
        List<String> log = new ArrayList<>();
        String got = Aio.run(() -> {
            BlockingQueue<String> q = new LinkedBlockingQueue<>();
            Task<String> a = Aio.createTask(() -> {
                log.add("A takes");
                String v = q.take();
                log.add("A got " + v);
                return v;
            });
            Task<Void> b = Aio.createTask(() -> {
                log.add("B puts");
                q.put("x");
                return null;
            });
            b.await();
            return a.await();
        });
        assertThat(got).isEqualTo("x");
        assertThat(log).containsExactly("A takes", "B puts", "A got x");
    }

    @Test
    void completableFutureGetFreesTheLoop() throws Exception {
        assumeFast();
        String got = Aio.run(() -> {
            CompletableFuture<String> cf = new CompletableFuture<>();
            Task<String> a = Aio.createTask(cf::get);
            Task<Void> b = Aio.createTask(() -> {
                Aio.sleep(Duration.ZERO); // A is parked in get() by now
                assertThat(a.isDone()).isFalse();
                cf.complete("done");
                return null;
            });
            b.await();
            return a.await();
        });
        assertThat(got).isEqualTo("done");
    }

    /** cancel() interrupts Thread.sleep inside the coroutine; the InterruptedException ends it cancelled. */
    @Test
    void cancelInterruptsAThreadSleepAndTheTaskEndsCancelled() throws Exception {
        assumeFast();
        Aio.run(() -> {
            boolean[] sleeping = {false};
            Task<String> a = Aio.createTask(() -> {
                sleeping[0] = true;
                Thread.sleep(Duration.ofHours(1));
                return "woke";
            });
            Aio.sleep(Duration.ZERO); // A ran up to its Thread.sleep, which parked it
            assertThat(sleeping[0]).isTrue();
            assertThat(a.isDone()).isFalse();
            assertThat(a.cancel("stop sleeping")).isTrue();
            Throwable e = catchThrowable(a::await);
            assertThat(e).isInstanceOf(CancellationException.class).hasMessage("stop sleeping");
            assertThat(a.isCancelled()).isTrue();
            assertThat(a.thread.join(Duration.ofSeconds(10))).isTrue();
            return null;
        });
    }

    /**
     * A coroutine that catches the InterruptedException still gets the cancellation at its next await
     * (one request, delivered once), and can refuse it like any other.
     */
    @Test
    void aSwallowedInterruptStillDeliversTheCancellationAtTheNextAwait() throws Exception {
        assumeFast();
        List<String> log = new ArrayList<>();
        String r = Aio.run(() -> {
            Task<String> a = Aio.createTask(() -> {
                try {
                    Thread.sleep(Duration.ofHours(1));
                } catch (InterruptedException e) {
                    log.add("interrupted");
                }
                try {
                    Aio.sleep(Duration.ofMillis(1));
                } catch (CancellationException e) {
                    log.add("cancelled " + e.getMessage());
                }
                log.add("interrupt flag " + Thread.currentThread().isInterrupted());
                Thread.sleep(1); // a later blocking call is not hit by the old interrupt
                return "refused";
            });
            Aio.sleep(Duration.ZERO);
            a.cancel("c");
            return a.await();
        });
        assertThat(r).isEqualTo("refused");
        assertThat(log).containsExactly("interrupted", "cancelled c", "interrupt flag false");
    }

    /**
     * B signals the queue A waits on and cancels A in the same step: take() returns the element (the signal
     * came first), the cancellation arrives at A's next await, and the interrupt sent to the blocking call
     * does not leak into a later one.
     */
    @Test
    void cancelAfterABlockingCallWasSignalledIsDeliveredAtTheNextAwaitWithoutAStrayInterrupt() throws Exception {
        assumeFast();
        List<String> log = new ArrayList<>();
        Task<?>[] target = new Task<?>[1];
        String r = Aio.run(() -> {
            BlockingQueue<String> q = new LinkedBlockingQueue<>();
            Task<String> a = Aio.createTask(() -> {
                log.add("took " + q.take());
                try {
                    Aio.sleep(Duration.ofMillis(1));
                    log.add("not cancelled");
                } catch (CancellationException e) {
                    log.add("cancelled " + e.getMessage());
                }
                log.add("interrupt flag " + Thread.currentThread().isInterrupted());
                Thread.sleep(1);
                log.add("slept");
                return "survived";
            });
            target[0] = a;
            Aio.sleep(Duration.ZERO); // A parked in take()
            q.put("x");
            a.cancel("late");
            return a.await();
        });
        assertThat(log).containsExactly("took x", "cancelled late", "interrupt flag false", "slept");
        assertThat(r).isEqualTo("survived");
        assertThat(target[0].isCancelled()).isFalse();
    }

    /**
     * A cancel scheduled right behind a task's step that makes a JDK blocking call. Fast: the call parked the
     * virtual thread, so the cancel interrupts it at once. Fallback: the call held the loop, ran to its end,
     * and the cancellation arrives at the task's next await.
     */
    @Test
    void aCancelQueuedBehindABlockingStepInterruptsItOrWaitsForItsEnd() throws Exception {
        List<String> log = new ArrayList<>();
        long sleepMillis = fast() ? Duration.ofHours(1).toMillis() : 20;
        Aio.run(() -> {
            Task<String> a = Aio.createTask(() -> {
                Thread.sleep(sleepMillis);
                log.add("sleep returned");
                Aio.sleep(Duration.ZERO);
                log.add("not reached");
                return "x";
            });
            Aio.getRunningLoop().callSoon(() -> a.cancel("c")); // queued behind A's first step
            assertThat(catchThrowable(a::await)).isInstanceOf(CancellationException.class).hasMessage("c");
            return null;
        });
        if (fast()) {
            assertThat(log).isEmpty();
        } else {
            assertThat(log).containsExactly("sleep returned");
        }
    }
}
