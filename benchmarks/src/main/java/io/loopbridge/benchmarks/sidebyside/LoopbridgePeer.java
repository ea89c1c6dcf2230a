package io.loopbridge.benchmarks.sidebyside;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.core.spi.IdleStrategy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * loopbridge: one {@link EventLoop} running forever on its own platform thread (a second one for W6; for W7
 * a {@link LoopPool} with default settings).
 * The engine (fast or fallback) is whatever the JVM's flags select; {@link #describe()} reports the one in use.
 */
final class LoopbridgePeer implements Peer {
    private static final Integer VALUE = 42;
    private static final String LOOP_THREAD = "loopbridge-A";

    private final EventLoop loop = EventLoop.builder().name("A").build();
    private final Thread thread = Thread.ofPlatform().name(LOOP_THREAD).start(loop::runForever);
    private EventLoop loopB;
    private Thread threadB;
    private LoopPool pool;

    @Override
    public Result describe() throws Exception {
        // A fast-engine task runs on a virtual thread mounted on the loop's own thread; a fallback one on
        // a ForkJoinPool carrier. Observed, not assumed, so a wrongly launched JVM cannot be mislabelled.
        String carrier = Bridge.runCoroutineThreadsafe(() -> Thread.currentThread().toString(), loop).get();
        return Result.of("none").put("engine", carrier.endsWith("@" + LOOP_THREAD) ? "fast" : "fallback");
    }

    @Override
    public Result callSoonFromLoop(int n) throws Exception {
        return fromLoop(n, loop::callSoon);
    }

    @Override
    public Result callSoonThreadsafe(int n) throws Exception {
        return SideBySide.flood(loop::callSoonThreadsafe, n);
    }

    @Override
    public Result executeFromLoop(int n) throws Exception {
        return fromLoop(n, loop::execute);
    }

    @Override
    public Result executeThreadsafe(int n) throws Exception {
        return SideBySide.flood(loop, n);
    }

    /** W1 and W1x: {@code n} callbacks scheduled by {@code schedule} on the loop's thread. */
    private Result fromLoop(int n, Consumer<Runnable> schedule) throws Exception {
        Countdown last = new Countdown(n);
        CompletableFuture<Long> start = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> {
            start.complete(System.nanoTime());
            for (int i = 0; i < n; i++) {
                schedule.accept(last);
            }
        });
        return Result.rate("callbacks_per_s", n, SideBySide.await(last.end) - SideBySide.await(start));
    }

    @Override
    public Result roundTrips(int n) throws Exception {
        long[] nanos = new long[n];
        long backOffs = IdleStrategy.backOffs();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            Bridge.runCoroutineThreadsafe(() -> VALUE, loop).get();
            nanos[i] = System.nanoTime() - s;
        }
        return Result.rate("round_trips_per_s", n, System.nanoTime() - t0).latenciesMicros(nanos)
                .put("spin_back_offs", IdleStrategy.backOffs() - backOffs);
    }

    @Override
    public Result yieldingTasks(int n) throws Exception {
        long nanos = Bridge.runCoroutineThreadsafe(() -> {
            long t0 = System.nanoTime();
            Task<?>[] tasks = new Task<?>[n];
            for (int i = 0; i < n; i++) {
                tasks[i] = Aio.createTask(() -> {
                    Aio.sleep(Duration.ZERO);
                    return VALUE;
                });
            }
            for (Task<?> t : tasks) { // gather: awaiting a done task does not yield
                t.await();
            }
            return System.nanoTime() - t0;
        }, loop).get();
        return Result.rate("tasks_per_s", n, nanos);
    }

    @Override
    public Result sleepers(int n, long seed) throws Exception {
        Sleepers s = new Sleepers(n, seed);
        long nanos = Bridge.runCoroutineThreadsafe(() -> {
            long t0 = System.nanoTime();
            Task<?>[] tasks = new Task<?>[n];
            for (int i = 0; i < n; i++) {
                int idx = i;
                tasks[i] = Aio.createTask(() -> {
                    s.started(idx);
                    Aio.sleep(Duration.ofNanos(s.delayNanos[idx]));
                    s.woke(idx);
                    return null;
                });
            }
            for (Task<?> t : tasks) {
                t.await();
            }
            return System.nanoTime() - t0;
        }, loop).get();
        return s.result(nanos);
    }

    @Override
    public Result pingPong(int n) throws Exception {
        if (loopB == null) {
            loopB = EventLoop.builder().name("B").build();
            threadB = Thread.ofPlatform().name("loopbridge-B").start(loopB::runForever);
        }
        EventLoop a = loop, b = loopB;
        long backOffs = IdleStrategy.backOffs();
        long nanos = Bridge.runCoroutineThreadsafe(() -> {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                LoopFuture<Integer> pong = a.createFuture();
                b.callSoonThreadsafe(() -> a.callSoonThreadsafe(() -> pong.setResult(VALUE)));
                pong.await();
            }
            return System.nanoTime() - t0;
        }, a).get();
        return Result.rate("round_trips_per_s", n, nanos).put("spin_back_offs", IdleStrategy.backOffs() - backOffs);
    }

    @Override
    public Result poolScaling(int n, int producers, int loops, int inflight) throws Exception {
        if (pool == null) {
            pool = LoopPool.create(loops);
        }
        LoopPool p = pool;
        return PoolScaling.run(n, producers, inflight, probe -> {
            CompletableFuture<Integer> f = p.submit(() -> VALUE);
            if (probe != null) {
                f.whenComplete(probe);
            }
            return f;
        }).put("pool", "LoopPool.create(" + loops + ")");
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
        stop(loop, thread);
        if (loopB != null) {
            stop(loopB, threadB);
        }
    }

    private static void stop(EventLoop loop, Thread thread) {
        loop.callSoonThreadsafe(loop::stop);
        try {
            thread.join();
            loop.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the process exits next; the loop thread dies with it
        }
    }
}
