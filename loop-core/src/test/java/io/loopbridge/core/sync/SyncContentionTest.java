package io.loopbridge.core.sync;

import static io.loopbridge.testing.Coroutines.yieldOnce;
import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.core.Aio;
import io.loopbridge.core.ReturnWhen;
import io.loopbridge.core.Task;
import io.loopbridge.core.WaitResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 tasks on one loop hammering a lock, a semaphore and a bounded queue while tasks are cancelled at
 * random points (waiting, just woken, inside). Seeded: the seed is printed and in every failure message;
 * rerun one with {@code -Dloopbridge.seed=N}.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SyncContentionTest {
    static final int TASKS = 10_000;

    static long seed() {
        return Long.getLong("loopbridge.seed", System.nanoTime());
    }

    /**
     * Cancels a random task (of any state: waiting, just woken, inside, done) with probability {@code rate}
     * per loop iteration, for {@code rounds} iterations; then stops, so that what is left must finish on
     * its own: a lost wake-up shows as a task that never ends.
     */
    static Task<Void> chaos(List<? extends Task<?>> tasks, Random rng, int rounds, double rate) {
        return Aio.createTask(() -> {
            for (int round = 0; round < rounds; round++) {
                if (rng.nextDouble() < rate) {
                    tasks.get(rng.nextInt(tasks.size())).cancel();
                }
                yieldOnce();
            }
            return null;
        });
    }

    /** Every task ends (none left waiting on a lost wake-up) within a generous bound. */
    static void allEnd(List<Task<Void>> tasks, long seed) throws Exception {
        WaitResult<Task<Void>> r = Aio.wait(tasks, ReturnWhen.ALL_COMPLETED, Duration.ofSeconds(20));
        assertThat(r.pending()).as("tasks stuck (lost wake-up?), seed %d", seed).isEmpty();
    }

    @Test
    void lockKeepsMutualExclusionAndLosesNoWakeUp() throws Exception {
        long seed = seed();
        System.out.println("SyncContentionTest.lock seed=" + seed);
        Aio.run(() -> {
            Random rng = new Random(seed);
            LoopLock lock = new LoopLock();
            int[] inside = {0};
            int[] maxInside = {0};
            int[] entered = {0};
            List<Task<Void>> tasks = new ArrayList<>(TASKS);
            for (int i = 0; i < TASKS; i++) {
                int id = i;
                int yields = rng.nextInt(3);
                boolean cancelNext = rng.nextInt(4) == 0;
                tasks.add(Aio.createTask(() -> {
                    try (var _ = lock.hold()) {
                        entered[0]++;
                        maxInside[0] = Math.max(maxInside[0], ++inside[0]);
                        try {
                            for (int y = 0; y < yields; y++) {
                                yieldOnce();
                            }
                        } finally {
                            inside[0]--;
                        }
                    } finally {
                        if (cancelNext && id + 1 < TASKS) {
                            tasks.get(id + 1).cancel(); // likely the waiter just woken by our release
                        }
                    }
                    return null;
                }));
            }
            Task<Void> chaos = chaos(tasks, rng, 5_000, 0.5);
            allEnd(tasks, seed);
            chaos.await();
            long cancelled = tasks.stream().filter(Task::isCancelled).count();
            assertThat(maxInside[0]).as("mutual exclusion, seed %d", seed).isEqualTo(1);
            assertThat(lock.isLocked()).as("seed %d", seed).isFalse();
            assertThat(lock.toString()).as("no waiter left behind, seed %d", seed).doesNotContain("waiters");
            assertThat(entered[0]).as("seed %d", seed).isGreaterThanOrEqualTo((int) (TASKS - cancelled));
            assertThat(cancelled).as("the chaos did cancel, seed %d", seed).isGreaterThan(100);
            lock.acquire(); // still usable
            lock.release();
            return null;
        });
    }

    @Test
    void semaphoreNeverExceedsItsPermitsAndLeaksNone() throws Exception {
        long seed = seed();
        System.out.println("SyncContentionTest.semaphore seed=" + seed);
        int permits = 7;
        Aio.run(() -> {
            Random rng = new Random(seed);
            LoopBoundedSemaphore sem = new LoopBoundedSemaphore(permits);
            int[] inside = {0};
            int[] maxInside = {0};
            List<Task<Void>> tasks = new ArrayList<>(TASKS);
            for (int i = 0; i < TASKS; i++) {
                int id = i;
                int yields = rng.nextInt(3);
                boolean cancelNext = rng.nextInt(4) == 0;
                tasks.add(Aio.createTask(() -> {
                    try (var _ = sem.hold()) {
                        maxInside[0] = Math.max(maxInside[0], ++inside[0]);
                        try {
                            for (int y = 0; y < yields; y++) {
                                yieldOnce();
                            }
                        } finally {
                            inside[0]--;
                        }
                    } finally {
                        if (cancelNext && id + 1 < TASKS) {
                            tasks.get(id + 1).cancel();
                        }
                    }
                    return null;
                }));
            }
            Task<Void> chaos = chaos(tasks, rng, 5_000, 0.5);
            allEnd(tasks, seed);
            chaos.await();
            assertThat(maxInside[0]).as("permits respected, seed %d", seed).isBetween(2, permits);
            assertThat(sem.availablePermits()).as("no permit leaked or lost, seed %d", seed).isEqualTo(permits);
            assertThat(sem.isLocked()).as("seed %d", seed).isFalse();
            return null;
        });
    }

    /** Takes the waiter a put or get has just woken (skipping those cancelled while waiting); maybe cancels it. */
    static void wokenBy(ArrayDeque<Task<?>> waiting, boolean cancel) {
        Task<?> woken;
        while ((woken = waiting.poll()) != null) {
            if (!woken.isDone() && woken.cancelling() == 0) {
                if (cancel) {
                    woken.cancel();
                }
                return;
            }
        }
    }

    @Test
    void boundedQueueDeliversEveryItemExactlyOnceOrKeepsIt() throws Exception {
        long seed = seed();
        System.out.println("SyncContentionTest.queue seed=" + seed);
        Aio.run(() -> {
            Random rng = new Random(seed);
            LoopQueue<Integer> q = LoopQueue.fifo(8);
            List<Integer> put = new ArrayList<>();
            List<Integer> got = new ArrayList<>();
            List<Task<Void>> producers = new ArrayList<>();
            List<Task<Void>> consumers = new ArrayList<>();
            List<Task<Void>> all = new ArrayList<>(TASKS);
            // Each put wakes the first waiting getter and each get the first waiting putter. Mirroring those
            // queues of waiters lets the put (get) cancel, now and then, exactly the task it has just woken,
            // before that task resumes: the classic lost-wake-up spot.
            ArrayDeque<Task<?>> waitingGetters = new ArrayDeque<>();
            ArrayDeque<Task<?>> waitingPutters = new ArrayDeque<>();
            for (int i = 0; i < TASKS; i++) {
                int id = i;
                boolean cancelWoken = rng.nextInt(4) == 0;
                // Each task puts (or gets) three items, yielding in between, so the bounded queue pushes back
                // for many iterations. More consumers than producers: a stranded item then shows as a consumer
                // left waiting while the queue is not empty.
                if (rng.nextInt(100) < 45) {
                    Task<Void> t = Aio.createTask(() -> {
                        for (int k = 0; k < 3; k++) {
                            int item = id * 3 + k;
                            if (q.isFull()) {
                                waitingPutters.add(Aio.currentTask());
                            }
                            q.put(item);
                            put.add(item); // no await in between: a cancel cannot split these two
                            wokenBy(waitingGetters, cancelWoken);
                            yieldOnce();
                        }
                        return null;
                    });
                    producers.add(t);
                    all.add(t);
                } else {
                    Task<Void> t = Aio.createTask(() -> {
                        for (int k = 0; k < 3; k++) {
                            if (q.isEmpty()) {
                                waitingGetters.add(Aio.currentTask());
                            }
                            got.add(q.get());
                            wokenBy(waitingPutters, cancelWoken);
                            yieldOnce();
                        }
                        return null;
                    });
                    consumers.add(t);
                    all.add(t);
                }
            }
            // Random cancels for a while, then let everything that can move settle.
            for (int round = 0; round < 300; round++) {
                for (int k = rng.nextInt(10); k > 0; k--) {
                    all.get(rng.nextInt(all.size())).cancel();
                }
                yieldOnce();
            }
            int stable = 0;
            long lastState = -1;
            while (stable < 5) {
                yieldOnce();
                long state = all.stream().filter(Task::isDone).count() * 100_000 + q.size();
                stable = state == lastState ? stable + 1 : 0;
                lastState = state;
            }
            // No lost wake-up: nobody waits for what is there.
            boolean consumerWaiting = consumers.stream().anyMatch(t -> !t.isDone());
            boolean producerWaiting = producers.stream().anyMatch(t -> !t.isDone());
            if (consumerWaiting) {
                assertThat(q.isEmpty()).as("a consumer waits while items are queued, seed %d", seed).isTrue();
            }
            if (producerWaiting) {
                assertThat(q.isFull()).as("a producer waits while there is room, seed %d", seed).isTrue();
            }
            for (Task<Void> t : all) {
                t.cancel();
            }
            Aio.wait(all, ReturnWhen.ALL_COMPLETED);
            List<Integer> left = new ArrayList<>();
            while (!q.isEmpty()) {
                left.add(q.getNowait());
            }
            Set<Integer> delivered = new HashSet<>(got);
            assertThat(delivered).as("no item delivered twice, seed %d", seed).hasSize(got.size());
            Set<Integer> accounted = new HashSet<>(delivered);
            accounted.addAll(left);
            assertThat(accounted).as("every item put is delivered once or still queued, seed %d", seed)
                    .hasSize(got.size() + left.size())
                    .isEqualTo(new HashSet<>(put));
            assertThat(all.stream().filter(Task::isCancelled).count()).as("seed %d", seed).isGreaterThan(100);
            assertThat(got.size()).as("seed %d", seed).isGreaterThan(1000);
            assertThat(consumerWaiting).as("the test ends with consumers waiting, seed %d", seed).isTrue();
            return null;
        });
    }

    @Test
    void cancellationReachesWaitersOfEveryKindWithoutCorruptingState() throws Exception {
        // A compact deterministic sweep: cancel the k-th of 6 waiters at each of 3 moments for a lock.
        for (int victim = 0; victim < 6; victim++) {
            for (int moment = 0; moment < 3; moment++) {
                int v = victim;
                int m = moment;
                List<Integer> order = Aio.run(() -> {
                    LoopLock lock = new LoopLock();
                    List<Integer> ran = new ArrayList<>();
                    lock.acquire();
                    List<Task<Void>> ts = new ArrayList<>();
                    for (int i = 0; i < 6; i++) {
                        int n = i;
                        ts.add(Aio.createTask(() -> {
                            try (var _ = lock.hold()) {
                                ran.add(n);
                                yieldOnce();
                            }
                            return null;
                        }));
                    }
                    yieldOnce();
                    if (m == 0) {
                        ts.get(v).cancel(); // while waiting
                    }
                    lock.release();
                    if (m == 1) {
                        ts.get(v).cancel(); // possibly just woken, before resuming
                    }
                    if (m == 2) {
                        yieldOnce();
                        ts.get(v).cancel(); // possibly inside
                    }
                    assertThat(Aio.wait(ts, ReturnWhen.ALL_COMPLETED, Duration.ofSeconds(10)).pending())
                            .as("victim %d moment %d: stuck", v, m).isEmpty();
                    assertThat(lock.isLocked()).isFalse();
                    return ran;
                });
                assertThat(order).as("victim %d moment %d", v, m).isSorted().doesNotHaveDuplicates()
                        .hasSizeBetween(5, 6);
            }
        }
    }
}
