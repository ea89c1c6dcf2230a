package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cancellation from other tasks at every point of a task's life, over many seeded random interleavings.
 *
 * <p>Each round runs a few hundred target tasks with random scripts (await a future that an actor completes,
 * sleep(0), await a done future, await a child task, a timer sleep; some of them swallow the cancellation)
 * and a few actor tasks that, in random order, cancel targets, complete the futures targets wait on, or do
 * both at once. The invariants are asyncio's: every task ends; a task is cancelled iff its coroutine let a
 * CancellationException escape (or it was cancelled before it started, and then its body never ran);
 * {@code cancel()} returns false exactly for a done task; {@code cancelling()} counts the requests; every
 * cancellation carries its message; the loop stays healthy. The seed is printed on failure
 * ({@code -Dloopbridge.raceSeed=N} replays it).
 */
@Timeout(120)
class CancellationRaceTest {
    private static final boolean FAST = Engine.INSTANCE.name().equals("fast");
    private static final int TARGETS_PER_ROUND = 300;
    /** As in the bridge's stress tests, {@code -Dloopbridge.stress.full=true} asks for the full sizes. */
    private static final boolean FULL = Boolean.getBoolean("loopbridge.stress.full");
    /**
     * Target tasks in all: fast 100,000 (about a second); the fallback engine hands each step between two
     * threads, 5 to 15 times slower on 2 shared cores: 20,000 by default, its full 50,000 when asked.
     */
    private static final int TOTAL_TARGETS = FAST ? 100_000 : FULL ? 50_000 : 20_000;
    private static final int ACTORS = 4;

    enum Op { AWAIT_PENDING, SLEEP0, AWAIT_DONE, AWAIT_CHILD, TIMER }

    /** Where a target was when a cancel hit it. */
    enum Hit { BEFORE_START, SUSPENDED_ON_FUTURE, JUST_AFTER_FUTURE_COMPLETED, IN_SLEEP0, AWAITING_CHILD, IN_TIMER, FINISHED }

    static final class Target {
        final int id;
        final Op[] ops;
        final boolean[] swallow;
        Task<Integer> task;
        Op phase;
        LoopFuture<Integer> pending;
        boolean started, escaped, cancelledBeforeStart;
        int acceptedCancels;
        final List<Task<Integer>> children = new ArrayList<>();

        Target(int id, Random rnd) {
            this.id = id;
            int n = rnd.nextInt(5);
            ops = new Op[n];
            swallow = new boolean[n];
            for (int i = 0; i < n; i++) {
                ops[i] = Op.values()[rnd.nextInt(Op.values().length)];
                swallow[i] = rnd.nextInt(4) == 0;
            }
        }
    }

    @Test
    void cancelFromOtherTasksAtEveryPointOfATasksLife() throws Exception {
        long seed = Long.getLong("loopbridge.raceSeed", 0x5EED_CA11L);
        int rounds = TOTAL_TARGETS / TARGETS_PER_ROUND;
        Map<Hit, Long> hits = new EnumMap<>(Hit.class);
        for (Hit h : Hit.values()) {
            hits.put(h, 0L);
        }
        long t0 = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            long roundSeed = seed + round;
            List<String> violations = runRound(roundSeed, hits);
            assertThat(violations).as("seed %d (replay: -Dloopbridge.raceSeed=%d, round %d)", roundSeed, seed, round)
                    .isEmpty();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("CancellationRaceTest[%s]: %d targets in %d rounds, %d ms, cancels by state %s%n",
                Engine.INSTANCE.name(), rounds * TARGETS_PER_ROUND, rounds, ms, hits);
        // The interleavings really covered every point of a task's life, many times each.
        for (Hit h : Hit.values()) {
            assertThat(hits.get(h)).as("cancels that hit a task %s", h).isGreaterThan(rounds / 2L);
        }
    }

    private static List<String> runRound(long seed, Map<Hit, Long> hits) throws Exception {
        Random rnd = new Random(seed);
        List<String> violations = new ArrayList<>();
        List<ErrorContext> reports = new ArrayList<>();
        int[] cancelNo = {0};
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.setExceptionHandler((l, ctx) -> reports.add(ctx));
            LoopFuture<Integer> done = loop.createFuture();
            done.setResult(-1);
            List<Target> targets = new ArrayList<>();
            List<Target> live = new ArrayList<>();

            // Actors start first so that they interleave with the creation of targets.
            List<Task<Void>> actors = new ArrayList<>();
            boolean[] creating = {true};
            for (int a = 0; a < ACTORS; a++) {
                Random ar = new Random(rnd.nextLong());
                actors.add(Aio.createTask("actor-" + a, () -> {
                    while (creating[0] || !live.isEmpty()) {
                        int burst = 1 + ar.nextInt(3);
                        for (int i = 0; i < burst && !live.isEmpty(); i++) {
                            act(ar, targets, live, hits, violations, cancelNo);
                        }
                        Aio.sleep(Duration.ZERO);
                    }
                    return null;
                }));
            }
            for (int i = 0; i < TARGETS_PER_ROUND; i++) {
                Target t = new Target(i, rnd);
                t.task = Aio.createTask("target-" + i, () -> body(t, done, violations));
                targets.add(t);
                live.add(t);
                if (rnd.nextInt(20) == 0) {
                    cancel(t, hits, violations, cancelNo); // created, not started
                }
                if (rnd.nextInt(10) == 0) {
                    Aio.sleep(Duration.ZERO); // let some start while others are still being created
                }
            }
            creating[0] = false;
            for (Task<Void> a : actors) {
                a.await();
            }
            for (Target t : targets) {
                check(t, violations);
            }
            // Still healthy: a fresh task runs, a callback completes a future it awaits, nothing else pending.
            LoopFuture<Integer> f = loop.createFuture();
            Task<Integer> probe = Aio.createTask(() -> f.await() + 1);
            loop.callSoon(() -> f.setResult(41));
            if (probe.await() != 42) {
                violations.add("probe task failed");
            }
            if (Aio.allTasks().size() != 1) {
                violations.add("tasks still pending: " + Aio.allTasks());
            }
            return null;
        });
        for (ErrorContext r : reports) {
            violations.add("reported: " + r.message() + " " + r.exception());
        }
        return violations;
    }

    private static Integer body(Target t, LoopFuture<Integer> done, List<String> violations) throws Exception {
        t.started = true;
        if (t.cancelledBeforeStart) {
            violations.add(t.task.getName() + " ran its body after a cancel before it started");
        }
        try {
            for (int k = 0; k < t.ops.length; k++) {
                try {
                    run(t, t.ops[k], done, violations);
                } catch (CancellationException e) {
                    checkMessage(t, e, violations);
                    if (!t.swallow[k]) {
                        throw e;
                    }
                } finally {
                    t.phase = null;
                    t.pending = null;
                }
            }
            // End on a real suspension: a cancel still pending is delivered here rather than applied at return
            // (asyncio cancels a task whose coroutine returns with a request pending; that is tested elsewhere).
            Aio.sleep(Duration.ZERO);
            return t.id;
        } catch (CancellationException e) {
            checkMessage(t, e, violations);
            t.escaped = true;
            throw e;
        }
    }

    private static void run(Target t, Op op, LoopFuture<Integer> done, List<String> violations) throws Exception {
        t.phase = op;
        switch (op) {
            case AWAIT_PENDING -> {
                LoopFuture<Integer> f = Aio.getRunningLoop().createFuture();
                t.pending = f;
                int v = f.await();
                if (v != t.id) {
                    violations.add(t.task.getName() + " awaited " + v);
                }
            }
            case SLEEP0 -> Aio.sleep(Duration.ZERO);
            case AWAIT_DONE -> {
                if (done.await() != -1) {
                    violations.add("done future changed");
                }
            }
            case AWAIT_CHILD -> {
                Task<Integer> child = Aio.createTask(() -> {
                    Aio.sleep(Duration.ZERO);
                    return 7;
                });
                t.children.add(child);
                if (child.await() != 7) {
                    violations.add("child result");
                }
            }
            case TIMER -> Aio.sleep(Duration.ofNanos(1));
        }
    }

    /** One random action of an actor, on a random live target (and sometimes a finished one). */
    private static void act(Random r, List<Target> targets, List<Target> live, Map<Hit, Long> hits,
                            List<String> violations, int[] cancelNo) {
        int i = r.nextInt(live.size());
        Target t = live.get(i);
        if (t.task.isDone()) {
            live.set(i, live.get(live.size() - 1));
            live.remove(live.size() - 1);
            if (r.nextInt(4) == 0) {
                cancel(t, hits, violations, cancelNo); // after it finished
            }
            return;
        }
        int action = r.nextInt(10);
        if (action < 3) {
            cancel(t, hits, violations, cancelNo);
        } else if (action < 8) {
            complete(t);
        } else if (action < 9) {
            if (complete(t)) {
                cancel(t, hits, violations, cancelNo); // just after its future completed, before it resumed
            }
        } else {
            cancel(targets.get(r.nextInt(targets.size())), hits, violations, cancelNo);
        }
    }

    private static boolean complete(Target t) {
        LoopFuture<Integer> f = t.pending;
        if (f != null && !f.isDone()) {
            f.setResult(t.id);
            return true;
        }
        return false;
    }

    private static void cancel(Target t, Map<Hit, Long> hits, List<String> violations, int[] cancelNo) {
        boolean wasDone = t.task.isDone();
        Hit hit = wasDone ? Hit.FINISHED
                : !t.started ? Hit.BEFORE_START
                : t.phase == Op.AWAIT_PENDING ? (t.pending.isDone() ? Hit.JUST_AFTER_FUTURE_COMPLETED : Hit.SUSPENDED_ON_FUTURE)
                : t.phase == Op.SLEEP0 ? Hit.IN_SLEEP0
                : t.phase == Op.AWAIT_CHILD ? Hit.AWAITING_CHILD
                : t.phase == Op.TIMER ? Hit.IN_TIMER
                : null; // between ops: in the final sleep(0), or woken and not yet resumed
        if (hit != null) {
            hits.merge(hit, 1L, Long::sum);
        }
        boolean accepted = t.task.cancel("cancel-" + cancelNo[0]++);
        if (accepted == wasDone) {
            violations.add(t.task.getName() + ": cancel() returned " + accepted + " for a task done=" + wasDone);
        }
        if (accepted) {
            t.acceptedCancels++;
            if (!t.started) {
                t.cancelledBeforeStart = true;
            }
        }
    }

    private static void checkMessage(Target t, CancellationException e, List<String> violations) {
        if (e.getMessage() == null || !e.getMessage().startsWith("cancel-")) {
            violations.add(t.task.getName() + " saw a cancellation without its message: " + e);
        }
    }

    private static void check(Target t, List<String> violations) {
        Task<Integer> task = t.task;
        String name = task.getName();
        if (!task.isDone()) {
            violations.add(name + " not done");
            return;
        }
        boolean expectCancelled = t.escaped || !t.started;
        if (task.isCancelled() != expectCancelled) {
            violations.add(name + " cancelled=" + task.isCancelled() + " but escaped=" + t.escaped
                    + " started=" + t.started);
        }
        if (!t.started && !t.cancelledBeforeStart) {
            violations.add(name + " never started but was not cancelled before it started");
        }
        if (task.cancelling() != t.acceptedCancels) {
            violations.add(name + " cancelling()=" + task.cancelling() + ", accepted cancels " + t.acceptedCancels);
        }
        if (!task.isCancelled()) {
            try {
                if (task.result() != t.id) {
                    violations.add(name + " result " + task.result());
                }
            } catch (Exception e) {
                violations.add(name + " failed: " + e);
            }
        }
        for (Task<Integer> c : t.children) {
            if (!c.isDone()) {
                violations.add(name + "'s child not done");
            } else if (!c.isCancelled() && !Integer.valueOf(7).equals(resultOrNull(c))) {
                violations.add(name + "'s child failed");
            }
        }
    }

    private static Integer resultOrNull(Task<Integer> t) {
        try {
            return t.result();
        } catch (Exception e) {
            return null;
        }
    }
}
