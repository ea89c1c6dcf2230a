package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.loopbridge.core.spi.IdleStrategy;
import io.loopbridge.core.spi.LoopSpi;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code call_soon_threadsafe} under load: many producers, a loop that parks and must be woken, and
 * submissions racing with {@code close()}. Randomised interleavings are seeded; the seed is in every message.
 */
@Timeout(120)
class ThreadsafeSubmissionStressTest {
    private static final long SEED = Long.getLong("loopbridge.test.seed", System.nanoTime());

    /** Spins or yields now and then, so producers interleave differently on every run (and seed). */
    private static void jitter(Random rnd) {
        int r = rnd.nextInt(1024);
        if (r == 0) {
            Thread.yield();
        } else if (r < 8) {
            for (int i = rnd.nextInt(200); i > 0; i--) {
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void eightProducersTimesAHundredThousandRunExactlyOnceInPerProducerOrder() throws Exception {
        int producers = 8;
        int each = 100_000;
        EventLoop loop = EventLoop.builder().name("stress").build();
        // Loop-thread state, plain: only callbacks touch it.
        int[] next = new int[producers];
        int[] outOfOrder = new int[producers];
        long[] ran = {0};
        CountDownLatch allRan = new CountDownLatch(1);
        try (LoopThread lt = new LoopThread(loop)) {
            CyclicBarrier start = new CyclicBarrier(producers);
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> producerError = new AtomicReference<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                Random rnd = new Random(SEED + p);
                threads.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < each; i++) {
                            int seq = i;
                            loop.callSoonThreadsafe(() -> {
                                if (next[id] != seq) {
                                    outOfOrder[id]++;
                                }
                                next[id] = seq + 1;
                                if (++ran[0] == (long) producers * each) {
                                    allRan.countDown();
                                }
                            });
                            jitter(rnd);
                        }
                    } catch (Throwable e) {
                        producerError.set(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertThat(producerError.get()).as("seed %d", SEED).isNull();
            assertThat(allRan.await(60, TimeUnit.SECONDS)).as("all ran, seed %d; ran %d", SEED, ran[0]).isTrue();
            // Nothing more arrives: one more round trip, then the totals are final.
            lt.call(() -> null);
            long total = lt.call(() -> ran[0]);
            assertThat(total).as("seed %d", SEED).isEqualTo((long) producers * each);
            assertThat(lt.call(() -> next.clone())).as("seed %d", SEED).containsOnly(each);
            assertThat(lt.call(() -> outOfOrder.clone())).as("seed %d", SEED).containsOnly(0);
            assertThat(loop.stats().inboxCount()).isZero();
        }
    }

    /** From the loop's own thread it is call_soon: a, b, c as asyncio prints (not a, c, b). */
    @Test
    void onTheLoopThreadItKeepsItsPlaceAmongCallSoonCallbacks() {
        EventLoop loop = EventLoop.create();
        try {
            List<String> log = new ArrayList<>();
            loop.callSoon(() -> {
                loop.callSoon(() -> log.add("a"));
                loop.callSoonThreadsafe(() -> log.add("b"));
                loop.execute(() -> log.add("c"));
                loop.callSoon(() -> log.add("d"));
                loop.callSoon(loop::stop);
            });
            loop.runForever();
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(log).containsExactly("a", "b", "c", "d");
        } finally {
            loop.close();
        }
    }

    @Test
    void submissionsMadeBeforeTheLoopRunsRunWhenItDoes() {
        EventLoop loop = EventLoop.create();
        try {
            List<String> log = new ArrayList<>();
            Thread t = Thread.ofPlatform().start(() -> {
                loop.callSoonThreadsafe(() -> log.add("1"));
                loop.callSoonThreadsafe(() -> log.add("2"));
            });
            join(t);
            assertThat(loop.stats().inboxCount()).isEqualTo(2);
            loop.callSoonThreadsafe(loop::stop);
            loop.runForever();
            assertThat(log).containsExactly("1", "2");
            assertThat(loop.stats().inboxCount()).isZero();
        } finally {
            loop.close();
        }
    }

    /**
     * A parked loop (thread WAITING, nothing ready, no timer) is woken by each thread-safe call. The
     * median latency is printed; the bound asserted is generous because CI shares two cores.
     */
    @Test
    void aParkedLoopIsWokenPromptlyByAThreadsafeCall() throws Exception {
        EventLoop loop = EventLoop.builder().name("sleepy").build();
        int rounds = 200;
        long[] latencies = new long[rounds];
        try (LoopThread lt = new LoopThread(loop)) {
            for (int i = 0; i < rounds; i++) {
                awaitParked(lt.thread);
                CountDownLatch ran = new CountDownLatch(1);
                long[] ranAt = new long[1];
                long submittedAt = System.nanoTime();
                loop.callSoonThreadsafe(() -> {
                    ranAt[0] = System.nanoTime();
                    ran.countDown();
                });
                assertThat(ran.await(10, TimeUnit.SECONDS)).as("round %d: parked loop woken", i).isTrue();
                latencies[i] = ranAt[0] - submittedAt;
            }
        }
        Arrays.sort(latencies);
        long median = latencies[rounds / 2];
        System.out.printf("parked-loop wake-up latency over %d rounds: median %d µs, p90 %d µs, max %d µs%n",
                rounds, median / 1000, latencies[rounds * 9 / 10] / 1000, latencies[rounds - 1] / 1000);
        assertThat(median).as("median wake-up latency, ns").isLessThan(TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * An idle loop polls for work for its idle spin before it parks: a caller that comes back within it finds
     * the loop awake, so neither side pays a park and an unpark. Once the spin is over, it parks. On a machine
     * with no CPU to spare the loop stops spinning (a spinner that finds itself descheduled backs off): then the
     * run says nothing about the spin, and the test is skipped rather than passed.
     */
    @Test
    void aLoopThatHearsBackWithinItsIdleSpinIsNeverParked() throws Exception {
        CountingWaiter counting = new CountingWaiter();
        EventLoop loop = EventLoop.builder().name("spinning").idleSpin(Duration.ofSeconds(30)).idleWaiter(counting).build();
        try (LoopThread _ = new LoopThread(loop)) {
            long backOffs = IdleStrategy.backOffs();
            // A back-off an earlier test caused may still be in effect (for up to a second): then nothing spins.
            boolean backedOffAtStart = IdleStrategy.spinFor(Duration.ofSeconds(30)).currentSpinNanos() == 0;
            int before = counting.waits.get();
            for (int i = 0; i < 2_000; i++) {
                assertThat(echo(loop, i)).isEqualTo(i);
            }
            int parks = counting.waits.get() - before;
            assumeTrue(parks == 0 || !backedOffAtStart && IdleStrategy.backOffs() == backOffs,
                    "the machine had no CPU to spare: spinning backed off");
            assertThat(parks).as("parks during 2,000 round trips with a 30 s idle spin").isZero();
        }
    }

    @Test
    void anIdleLoopParksOnceItsSpinIsOver() throws Exception {
        CountingWaiter counting = new CountingWaiter();
        EventLoop loop = EventLoop.builder().name("briefly-spinning").idleSpin(Duration.ofMillis(1)).idleWaiter(counting).build();
        try (LoopThread _ = new LoopThread(loop)) {
            for (int i = 0; i < 20; i++) {
                counting.waited.drainPermits();
                assertThat(echo(loop, i)).isEqualTo(i);
                assertThat(counting.waited.tryAcquire(10, TimeUnit.SECONDS)).as("the idle loop went to park").isTrue();
            }
        }
    }

    private static int echo(EventLoop loop, int value) throws Exception {
        CompletableFuture<Integer> echo = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> echo.complete(value));
        return echo.get(10, TimeUnit.SECONDS);
    }

    /** The spin ends when the next timer falls due: a long idle spin does not delay a timer. */
    @Test
    void aLongIdleSpinStillRunsTimersWhenDue() throws Exception {
        EventLoop loop = EventLoop.builder().name("spinning-timer").idleSpin(Duration.ofSeconds(60)).build();
        try (LoopThread lt = new LoopThread(loop)) {
            CompletableFuture<Long> fired = new CompletableFuture<>();
            long scheduled = lt.call(() -> {
                loop.callLater(Duration.ofMillis(20), () -> fired.complete(System.nanoTime()));
                return System.nanoTime();
            });
            // Bounded well below the spin: a spin that ignored the timer would hold it for 60 s.
            long firedAt = fired.get(10, TimeUnit.SECONDS);
            assertThat(firedAt - scheduled).as("ns until the 20 ms timer ran").isGreaterThanOrEqualTo(20_000_000L);
        }
    }

    /**
     * A busy loop is not disturbed: producers submitting while it runs a callback never call the waiter's
     * wake-up (an unpark, a system call); a parked loop is woken exactly by it.
     */
    @Test
    void aBusyLoopIsNotWokenOnlyAParkedOneIs() throws Exception {
        CountingWaiter counting = new CountingWaiter();
        java.util.concurrent.atomic.AtomicInteger wakeUps = counting.wakeUps;
        EventLoop loop = EventLoop.builder().name("busy").idleWaiter(counting).build();
        try (LoopThread lt = new LoopThread(loop)) {
            CountDownLatch inCallback = new CountDownLatch(1);
            CountDownLatch submitted = new CountDownLatch(1);
            CountDownLatch allRan = new CountDownLatch(10_000);
            loop.callSoonThreadsafe(() -> {
                inCallback.countDown();
                try {
                    submitted.await(); // the loop is busy for as long as the producers submit
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(inCallback.await(10, TimeUnit.SECONDS)).isTrue();
            int before = wakeUps.get();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 2_500; i++) {
                        loop.callSoonThreadsafe(allRan::countDown);
                    }
                }));
            }
            for (Thread t : producers) {
                join(t);
            }
            assertThat(wakeUps.get()).as("wake-ups while the loop was busy").isEqualTo(before);
            submitted.countDown();
            assertThat(allRan.await(10, TimeUnit.SECONDS)).isTrue();

            awaitParked(lt.thread);
            int parkedBefore = wakeUps.get();
            CountDownLatch woke = new CountDownLatch(1);
            loop.callSoonThreadsafe(woke::countDown);
            assertThat(woke.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(wakeUps.get()).as("a parked loop is woken once").isEqualTo(parkedBefore + 1);
        }
    }

    /** Waits (bounded, no sleeping) until the loop thread is parked with nothing to do. */
    private static void awaitParked(Thread loopThread) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loopThread.getState() != Thread.State.WAITING) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("loop thread never parked: " + loopThread.getState());
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Producers submit until refused while the loop is stopped and closed under them, through callSoonThreadsafe
     * and execute, with and without an answer owed if dropped. What a user can see: each call either returned or
     * threw RejectedExecutionException; each producer's callbacks that ran are a prefix of its accepted ones
     * (order kept, nothing skipped); nothing runs after close() returns; nothing stays in the inbox. And every
     * accepted submission owed an answer ({@code callSoonThreadsafe(cb, onDropped)}, a {@code LoopSpi.Droppable}
     * given to execute) that did not run was told it was dropped: ran + dropped + rejected == attempts, exactly.
     */
    @Test
    void submissionsRacingWithCloseEachRunOrAreDroppedOrAreRejected() throws Exception {
        int producers = 4;
        long[] totals = new long[3];
        for (int round = 0; round < 20; round++) {
            long seed = SEED + 1000L * round;
            raceWithClose(producers, seed, totals);
        }
        System.out.printf("close races: %d ran, %d dropped by close (of them ours: %d), seed %d%n",
                totals[0], totals[1], totals[2], SEED);
        assertThat(totals[1]).as("the races did drop submissions (else they tested nothing)").isPositive();
    }

    private void raceWithClose(int producers, long seed, long[] totals) throws Exception {
        EventLoop loop = EventLoop.builder().name("closing").build();
        Random main = new Random(seed);
        int[] ranPerProducer = new int[producers];
        int[] nextPerProducer = new int[producers];
        int[] gaps = {0};
        AtomicLong dropped = new AtomicLong();
        AtomicLong ranAfterClose = new AtomicLong();
        long[] accepted = new long[producers];
        long[] rejected = new long[producers];
        long[] attempts = new long[producers];
        boolean[] closedFlag = {false};
        CountDownLatch someRan = new CountDownLatch(producers);

        LoopThread lt = new LoopThread(loop);
        CyclicBarrier start = new CyclicBarrier(producers + 1);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            Random rnd = new Random(seed + p + 1);
            CompletableFuture<Void> cf = new CompletableFuture<>();
            done.add(cf);
            Thread.ofPlatform().name("racer-" + p).start(() -> {
                try {
                    start.await();
                    for (int seq = 0; ; seq++) {
                        attempts[id]++;
                        int s = seq;
                        Runnable body = () -> {
                            if (closedFlag[0]) {
                                ranAfterClose.incrementAndGet();
                            }
                            if (nextPerProducer[id] != s) {
                                gaps[0]++;
                            }
                            nextPerProducer[id] = s + 1;
                            if (ranPerProducer[id]++ == 0) {
                                someRan.countDown();
                            }
                        };
                        try {
                            switch (seq & 3) { // the odd ones owe an answer if dropped
                                case 0 -> loop.callSoonThreadsafe(body);
                                case 1 -> loop.callSoonThreadsafe(body, dropped::incrementAndGet);
                                case 2 -> loop.execute(body);
                                default -> loop.execute(new LoopSpi.Droppable() {
                                    @Override
                                    public void run() {
                                        body.run();
                                    }

                                    @Override
                                    public void dropped() {
                                        dropped.incrementAndGet();
                                    }
                                });
                            }
                            accepted[id]++;
                        } catch (RejectedExecutionException e) {
                            rejected[id]++;
                            break;
                        }
                        jitter(rnd);
                    }
                    cf.complete(null);
                } catch (Throwable e) {
                    cf.completeExceptionally(e);
                }
            });
        }
        start.await();
        assertThat(someRan.await(30, TimeUnit.SECONDS)).as("seed %d", seed).isTrue();
        for (int i = main.nextInt(2000); i > 0; i--) {
            Thread.onSpinWait();
        }
        lt.stop();
        // The loop has stopped: what ran is final unless close() wrongly runs something. Let the producers
        // queue a few more (bounded wait, no sleeping) so that close() has something to drop while they race on.
        int[] ranBeforeClose = ranPerProducer.clone();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loop.stats().inboxCount() < producers && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
        closedFlag[0] = true; // published to any later callback by close()'s volatile write
        loop.close();
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThat(ranAfterClose.get()).as("seed %d", seed).isZero();
        assertThat(ranPerProducer).as("seed %d", seed).containsExactly(ranBeforeClose);
        assertThat(gaps[0]).as("per-producer order, seed %d", seed).isZero();
        assertThat(loop.stats().inboxCount()).as("seed %d", seed).isZero();
        long totalDroppable = 0;
        for (int p = 0; p < producers; p++) {
            assertThat(rejected[p]).as("producer %d rejected once, seed %d", p, seed).isEqualTo(1);
            assertThat(accepted[p] + rejected[p]).isEqualTo(attempts[p]);
            assertThat(nextPerProducer[p]).as("ran a prefix, seed %d", seed).isEqualTo(ranPerProducer[p]);
            assertThat((long) ranPerProducer[p]).isLessThanOrEqualTo(accepted[p]);
            // Accepted but not run: half of them (the odd ones) are ours to count as dropped.
            for (long seq = ranPerProducer[p]; seq < accepted[p]; seq++) {
                if ((seq & 1) == 1) {
                    totalDroppable++;
                }
            }
        }
        assertThat(dropped.get()).as("every accepted submission owed an answer that did not run was dropped, seed %d", seed)
                .isEqualTo(totalDroppable);
        for (int p = 0; p < producers; p++) {
            totals[0] += ranPerProducer[p];
            totals[1] += accepted[p] - ranPerProducer[p];
        }
        totals[2] += dropped.get();
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
