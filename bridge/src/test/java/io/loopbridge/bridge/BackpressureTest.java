package io.loopbridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A bounded pool under a flood: its inboxes stay within the bound; extra work is rejected or waits. */
@Timeout(60)
class BackpressureTest {
    private static final long T = 10;

    @Test
    void aFullLoopRejectsAtOnceAndItsInboxStaysBounded() throws Exception {
        int bound = 100;
        try (LoopPool pool = LoopPool.builder().loops(1).name("bounded").maxPendingSubmissions(bound).build()) {
            EventLoop loop = pool.next();
            CountDownLatch release = blockLoop(pool);
            ConcurrentLinkedQueue<CompletableFuture<Integer>> accepted = new ConcurrentLinkedQueue<>();
            AtomicInteger rejected = new AtomicInteger();
            AtomicLong maxInbox = new AtomicLong();
            List<Thread> flooders = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                flooders.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 25_000; i++) {
                        try {
                            accepted.add(pool.submit(() -> 1));
                        } catch (RejectedExecutionException e) {
                            assertThat(e).hasMessageContaining("bounded").hasMessageContaining("pending submissions");
                            rejected.incrementAndGet();
                        }
                        maxInbox.accumulateAndGet(loop.stats().inboxCount(), Math::max);
                    }
                }));
            }
            for (Thread t : flooders) {
                t.join();
            }
            assertThat(accepted).hasSize(bound);
            assertThat(rejected.get()).isEqualTo(100_000 - bound);
            assertThat(maxInbox.get()).isLessThanOrEqualTo(bound);
            assertThat(pool.rejectedCount()).isEqualTo(100_000 - bound);
            release.countDown();
            for (CompletableFuture<Integer> f : accepted) {
                assertThat(f.get(T, TimeUnit.SECONDS)).isEqualTo(1);
            }
            // the places are given back as the loop takes the work
            assertThat(pool.submit(() -> 2).get(T, TimeUnit.SECONDS)).isEqualTo(2);
        }
    }

    @Test
    void aFullLoopMakesCallersWaitUntilThereIsRoom() throws Exception {
        int bound = 10;
        try (LoopPool pool = LoopPool.builder().loops(1).name("blocking")
                .maxPendingSubmissions(bound, LoopPool.WhenFull.CALLER_BLOCKS, Duration.ofSeconds(30)).build()) {
            EventLoop loop = pool.next();
            CountDownLatch release = blockLoop(pool);
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            AtomicLong maxInbox = new AtomicLong();
            Thread submitter = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    int k = i;
                    fs.add(pool.submit(() -> k));
                    maxInbox.accumulateAndGet(loop.stats().inboxCount(), Math::max);
                }
            });
            awaitState(submitter, Thread.State.TIMED_WAITING);
            // the blocking callback, then `bound` submissions fill the inbox; the next one waits
            assertThat(pool.submittedCount()).isEqualTo(1 + bound);
            release.countDown();
            submitter.join(T * 1000);
            assertThat(submitter.isAlive()).isFalse();
            for (int i = 0; i < 1_000; i++) {
                assertThat(fs.get(i).get(T, TimeUnit.SECONDS)).isEqualTo(i);
            }
            assertThat(maxInbox.get()).isLessThanOrEqualTo(bound);
            assertThat(pool.rejectedCount()).isZero();
        }
    }

    @Test
    void aCallerWaitsNoLongerThanTheTimeout() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(1).name("impatient")
                .maxPendingSubmissions(1, LoopPool.WhenFull.CALLER_BLOCKS, Duration.ofMillis(100)).build()) {
            CountDownLatch release = blockLoop(pool);
            CompletableFuture<Integer> first = pool.submit(() -> 1);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.submit(() -> 2)).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("impatient").hasMessageContaining("100 ms");
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
            release.countDown();
            assertThat(first.get(T, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    @Test
    void aCoroutineSubmittingToItsOwnFullLoopIsRejectedRatherThanDeadlocked() throws Exception {
        try (LoopPool pool = LoopPool.builder().loops(1).name("self")
                .maxPendingSubmissions(1, LoopPool.WhenFull.CALLER_BLOCKS, Duration.ofSeconds(30)).build()) {
            Object r = pool.submit(() -> {
                pool.submit(() -> 1); // fills the inbox: the loop is running this coroutine
                try {
                    return pool.submit(() -> 2);
                } catch (RejectedExecutionException e) {
                    return e;
                }
            }).get(T, TimeUnit.SECONDS);
            assertThat(r).isInstanceOf(RejectedExecutionException.class);
        }
    }

    /** Occupies the pool's (single) loop thread until the returned latch is released; takes one place. */
    private static CountDownLatch blockLoop(LoopPool pool) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        pool.execute(() -> {
            blocked.countDown();
            Waits.await(release);
        });
        assertThat(blocked.await(T, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    private static void awaitState(Thread t, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (t.getState() != state) {
            assertThat(System.nanoTime() - deadline).as("thread reached %s in time", state).isNegative();
            Thread.onSpinWait();
        }
    }
}
