package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.testing.ReportedErrors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of operations on one loop, checked step by step against a small model of asyncio's
 * state machine: which callbacks run in which iteration and in what order (FIFO ready queue; due timers
 * after what was ready, by deadline then scheduling order; a cancelled handle never runs), every future's
 * state, done-callbacks fired exactly once, in registration order, seeing the future done. Runs one
 * iteration at a time with {@code stop(); runForever()}, on the test's thread (allowed: the loop is not
 * running between iterations). a failure prints its seed and the operation sequence.
 */
class LoopStateMachinePropertyTest {

    // ---- operations -------------------------------------------------------------------------------

    sealed interface Op permits CallSoon, CallLater, CancelHandle, CreateFuture, SetResult, SetException,
            CancelFuture, AddCallback, RemoveCallback, RunOnce {
    }

    record CallSoon() implements Op { }

    /** delayNanos: negative or zero (next iteration), small (maybe due), or an hour (never, here). */
    record CallLater(long delayNanos) implements Op { }

    record CancelHandle(int handle) implements Op { }

    record CreateFuture() implements Op { }

    record SetResult(int future) implements Op { }

    record SetException(int future) implements Op { }

    record CancelFuture(int future) implements Op { }

    /** callback: one of a few callbacks per future, so a callback may be registered twice. */
    record AddCallback(int future, int callback) implements Op { }

    record RemoveCallback(int future, int callback) implements Op { }

    record RunOnce() implements Op { }

    /**
     * A random operation sequence, by the same weights as before (of 26: callSoon 4, callLater 3, cancel handle 2,
     * create future 3, set result 2, set exception 1, cancel future 2, add callback 4, remove callback 1, run 4).
     */
    static List<Op> operations(Random rnd) {
        int n = 1 + rnd.nextInt(60);
        List<Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int w = rnd.nextInt(26);
            int index = rnd.nextInt(16);
            ops.add(w < 4 ? new CallSoon()
                    : w < 7 ? new CallLater(switch (rnd.nextInt(3)) {
                        case 0 -> -rnd.nextLong(1_000_001);
                        case 1 -> 1 + rnd.nextLong(2_000_000);
                        default -> Duration.ofHours(1).toNanos();
                    })
                    : w < 9 ? new CancelHandle(index)
                    : w < 12 ? new CreateFuture()
                    : w < 14 ? new SetResult(index)
                    : w < 15 ? new SetException(index)
                    : w < 17 ? new CancelFuture(index)
                    : w < 21 ? new AddCallback(index, rnd.nextInt(3))
                    : w < 22 ? new RemoveCallback(index, rnd.nextInt(3))
                    : new RunOnce());
        }
        return ops;
    }

    // ---- the model --------------------------------------------------------------------------------

    enum State { PENDING, RESULT, FAILED, CANCELLED }

    /** A scheduled callback: what it logs, and its handle (null for a done-callback). */
    record Scheduled(String name, Handle handle) { }

    static final class ModelFuture {
        final LoopFuture<Integer> real;
        final int id;
        State state = State.PENDING;
        /** Registered, not yet scheduled done-callbacks, by callback number. */
        final List<Integer> callbacks = new ArrayList<>();
        /** One Consumer object per callback number: removeDoneCallback compares with equals. */
        final Map<Integer, Consumer<LoopFuture<Integer>>> consumers = new HashMap<>();

        ModelFuture(LoopFuture<Integer> real, int id) {
            this.real = real;
            this.id = id;
        }
    }

    final List<String> log = new ArrayList<>();
    /** Names of the done-callbacks that saw their future still pending: must stay empty. */
    final List<String> sawPending = new ArrayList<>();
    final List<Scheduled> ready = new ArrayList<>();
    final List<TimerHandle> timers = new ArrayList<>();
    final Map<TimerHandle, String> timerNames = new HashMap<>();
    final List<Handle> handles = new ArrayList<>();
    final List<ModelFuture> futures = new ArrayList<>();
    int serial;

    /** 300 seeded random sequences; a failure names its seed ({@code -Dloopbridge.propertySeed=N} replays it). */
    @Test
    void aLoopBehavesAsAsyncioDoes() {
        long base = Long.getLong("loopbridge.propertySeed", System.nanoTime());
        int tries = Long.getLong("loopbridge.propertySeed") != null ? 1 : 300;
        for (int i = 0; i < tries; i++) {
            long seed = base + i;
            List<Op> ops = operations(new Random(seed));
            try {
                check(ops);
            } catch (Exception | AssertionError e) {
                throw new AssertionError("seed " + seed + " (replay: -Dloopbridge.propertySeed=" + seed + "), ops "
                        + ops, e);
            }
        }
    }

    private void check(List<Op> ops) throws Exception {
        reset();
        ReportedErrors reports = new ReportedErrors();
        EventLoop loop = EventLoop.builder().exceptionHandler(reports).build();
        try {
            for (Op op : ops) {
                apply(loop, op);
            }
            apply(loop, new RunOnce());
            assertThat(sawPending).as("done-callbacks that saw a pending future").isEmpty();
            for (ModelFuture f : futures) {
                checkOutcome(f);
            }
            assertThat(reports.all()).as("errors the loop reported").isEmpty();
        } finally {
            loop.close();
        }
    }

    /**
     * Each future holds the outcome the model gave it. Retrieving a failure also settles it: a failed future
     * collected unretrieved would be reported ("Future exception was never retrieved"), long after this check.
     */
    static void checkOutcome(ModelFuture f) throws Exception {
        switch (f.state) {
            case PENDING -> assertThatThrownBy(f.real::result).isInstanceOf(InvalidStateException.class);
            case RESULT -> assertThat(f.real.result()).as("f%d result", f.id).isEqualTo(f.id);
            case FAILED -> assertThat(f.real.exception()).as("f%d exception", f.id)
                    .isInstanceOf(IllegalStateException.class).hasMessage("f" + f.id);
            case CANCELLED -> assertThatThrownBy(f.real::exception).isInstanceOf(CancellationException.class);
        }
    }

    void reset() {
        log.clear();
        sawPending.clear();
        ready.clear();
        timers.clear();
        timerNames.clear();
        handles.clear();
        futures.clear();
        serial = 0;
    }

    void apply(EventLoop loop, Op op) {
        switch (op) {
            case CallSoon c -> {
                String name = "soon-" + serial++;
                Handle h = loop.callSoon(() -> ran(name));
                handles.add(h);
                ready.add(new Scheduled(name, h));
            }
            case CallLater c -> {
                String name = "later-" + serial++;
                TimerHandle t = loop.callLater(Duration.ofNanos(c.delayNanos()), () -> ran(name));
                handles.add(t);
                timers.add(t);
                timerNames.put(t, name);
            }
            case CancelHandle c -> {
                if (handles.isEmpty()) {
                    return;
                }
                Handle h = handles.get(c.handle() % handles.size());
                h.cancel();
                assertThat(h.isCancelled()).isTrue();
                ready.removeIf(s -> s.handle() == h);
                timers.remove(h);
            }
            case CreateFuture c -> futures.add(new ModelFuture(loop.createFuture(), futures.size()));
            case SetResult s -> withFuture(s.future(), f -> {
                if (f.state == State.PENDING) {
                    f.real.setResult(f.id);
                    done(f, State.RESULT);
                } else {
                    assertThatThrownBy(() -> f.real.setResult(f.id)).isInstanceOf(InvalidStateException.class);
                }
            });
            case SetException s -> withFuture(s.future(), f -> {
                IllegalStateException failure = new IllegalStateException("f" + f.id);
                if (f.state == State.PENDING) {
                    f.real.setException(failure);
                    done(f, State.FAILED);
                } else {
                    assertThatThrownBy(() -> f.real.setException(failure)).isInstanceOf(InvalidStateException.class);
                }
            });
            case CancelFuture s -> withFuture(s.future(), f -> {
                boolean pending = f.state == State.PENDING;
                assertThat(f.real.cancel()).isEqualTo(pending);
                if (pending) {
                    done(f, State.CANCELLED);
                }
            });
            case AddCallback a -> withFuture(a.future(), f -> {
                Consumer<LoopFuture<Integer>> cb = f.consumers.computeIfAbsent(a.callback(), n -> consumer(f, n));
                f.real.addDoneCallback(cb);
                if (f.state == State.PENDING) {
                    f.callbacks.add(a.callback());
                } else {
                    ready.add(new Scheduled(callbackName(f, a.callback()), null));
                }
            });
            case RemoveCallback r -> withFuture(r.future(), f -> {
                Consumer<LoopFuture<Integer>> cb = f.consumers.get(r.callback());
                if (cb == null) {
                    return;
                }
                int expected = (int) f.callbacks.stream().filter(n -> n == r.callback()).count();
                assertThat(f.real.removeDoneCallback(cb)).isEqualTo(expected);
                f.callbacks.removeIf(n -> n == r.callback());
            });
            case RunOnce r -> runOnce(loop);
        }
        // every future's state, after every operation
        for (ModelFuture f : futures) {
            assertThat(f.real.isDone()).as("f%d done", f.id).isEqualTo(f.state != State.PENDING);
            assertThat(f.real.isCancelled()).as("f%d cancelled", f.id).isEqualTo(f.state == State.CANCELLED);
        }
    }

    /** One iteration: what was ready, then the due timers by (deadline, scheduling order); nothing else. */
    void runOnce(EventLoop loop) {
        int from = log.size();
        long before = loop.time();
        loop.stop();
        loop.runForever();
        long after = loop.time();
        List<String> ran = log.subList(from, log.size());

        // Which timers fell due depends on the clock: all due by `before`, none due after `after`, and
        // (one `now`) every timer earlier than a due one is due.
        timers.sort(Comparator.comparingLong(TimerHandle::when)); // stable: equal deadlines keep their order
        List<TimerHandle> due = new ArrayList<>();
        for (TimerHandle t : timers) {
            if (ran.contains(timerNames.get(t))) {
                due.add(t);
            }
        }
        for (TimerHandle t : timers) {
            boolean isDue = due.contains(t);
            if (t.when() - before <= 0) {
                assertThat(isDue).as("%s was due before the iteration", timerNames.get(t)).isTrue();
            }
            if (t.when() - after > 0) {
                assertThat(isDue).as("%s was not due during the iteration", timerNames.get(t)).isFalse();
            }
        }
        assertThat(due).as("the due timers are the earliest ones").isEqualTo(timers.subList(0, due.size()));

        List<String> expected = new ArrayList<>();
        for (Scheduled s : ready) {
            expected.add(s.name());
        }
        for (TimerHandle t : due) {
            expected.add(timerNames.get(t));
        }
        assertThat(new ArrayList<>(ran)).as("callbacks of this iteration, in order").isEqualTo(expected);
        ready.clear();
        timers.removeAll(due);
    }

    void done(ModelFuture f, State state) {
        f.state = state;
        for (int n : f.callbacks) {
            ready.add(new Scheduled(callbackName(f, n), null));
        }
        f.callbacks.clear();
    }

    void withFuture(int index, Consumer<ModelFuture> action) {
        if (!futures.isEmpty()) {
            action.accept(futures.get(index % futures.size()));
        }
    }

    /** A done-callback (one object per number, so that it can be removed); logs its name when run. */
    Consumer<LoopFuture<Integer>> consumer(ModelFuture f, int n) {
        String name = callbackName(f, n);
        return fut -> {
            if (!fut.isDone()) {
                sawPending.add(name);
            }
            log.add(name);
        };
    }

    static String callbackName(ModelFuture f, int n) {
        return "f" + f.id + "-cb" + n;
    }

    /** Asserting here would only reach the loop's exception handler: the log comparison catches a repeat. */
    void ran(String name) {
        log.add(name);
    }
}
