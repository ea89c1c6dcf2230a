package io.loopbridge.benchmarks.sidebyside;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The callback-loop peers: Netty 4.2's NIO event loop ({@code MultiThreadIoEventLoopGroup(1,
 * NioIoHandler.newFactory())}, its single {@code EventLoop}'s execute/schedule) and a single-thread
 * {@link ThreadPoolExecutor}. Neither has coroutines, so "a task" is a runnable: W4's yield is a runnable
 * that re-submits itself once, W5's sleep is a scheduled runnable (for the pool, a single-thread
 * {@link ScheduledThreadPoolExecutor}, the JDK's way to run something later without a blocked thread).
 * W7's pools have L threads: {@code MultiThreadIoEventLoopGroup(L, NioIoHandler.newFactory())}, its
 * {@code next().execute} completing a {@code CompletableFuture} (as W3), and a {@code ThreadPoolExecutor} of L
 * threads, its {@code submit}.
 */
final class ExecutorPeer implements Peer {
    private static final Integer VALUE = 42;

    private final boolean netty;
    private final EventLoopGroup groupA, groupB;
    private final ExecutorService a;
    private ExecutorService b;
    private ScheduledExecutorService scheduler;
    private EventLoopGroup poolGroup;
    private ThreadPoolExecutor poolThreads;

    private ExecutorPeer(boolean netty) {
        this.netty = netty;
        if (netty) {
            groupA = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            groupB = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            a = groupA.next();
            b = groupB.next();
            scheduler = groupA.next();
        } else {
            groupA = groupB = null;
            a = singleThreadPool();
        }
    }

    static ExecutorPeer netty() {
        return new ExecutorPeer(true);
    }

    static ExecutorPeer threadPool() {
        return new ExecutorPeer(false);
    }

    private static ThreadPoolExecutor singleThreadPool() {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
    }

    @Override
    public Result describe() {
        return Result.of("none").put("peer", netty ? "MultiThreadIoEventLoopGroup(1, NioIoHandler)" : "ThreadPoolExecutor(1)");
    }

    @Override
    public Result callSoonFromLoop(int n) throws Exception {
        Countdown last = new Countdown(n);
        CompletableFuture<Long> start = new CompletableFuture<>();
        a.execute(() -> {
            start.complete(System.nanoTime());
            for (int i = 0; i < n; i++) {
                a.execute(last); // on its own thread: Netty queues without a wake-up, the pool's queue without a signal
            }
        });
        return Result.rate("callbacks_per_s", n, SideBySide.await(last.end) - SideBySide.await(start));
    }

    @Override
    public Result callSoonThreadsafe(int n) throws Exception {
        return SideBySide.flood(a, n);
    }

    @Override
    public Result roundTrips(int n) throws Exception {
        long[] nanos = new long[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            if (netty) {
                CompletableFuture<Integer> cf = new CompletableFuture<>();
                a.execute(() -> cf.complete(VALUE));
                cf.get();
            } else {
                a.submit(() -> VALUE).get();
            }
            nanos[i] = System.nanoTime() - s;
        }
        return Result.rate("round_trips_per_s", n, System.nanoTime() - t0).latenciesMicros(nanos);
    }

    @Override
    public Result yieldingTasks(int n) throws Exception {
        Countdown last = new Countdown(n);
        CompletableFuture<Long> start = new CompletableFuture<>();
        a.execute(() -> {
            start.complete(System.nanoTime());
            for (int i = 0; i < n; i++) {
                a.execute(new Runnable() {
                    private boolean yielded;

                    @Override
                    public void run() {
                        if (!yielded) {
                            yielded = true;
                            a.execute(this); // "sleep(0)": to the back of the queue, once
                        } else {
                            last.run();
                        }
                    }
                });
            }
        });
        return Result.rate("tasks_per_s", n, SideBySide.await(last.end) - SideBySide.await(start));
    }

    @Override
    public Result sleepers(int n, long seed) throws Exception {
        if (scheduler == null) {
            scheduler = new ScheduledThreadPoolExecutor(1);
        }
        ScheduledExecutorService sched = scheduler;
        Sleepers s = new Sleepers(n, seed);
        Countdown last = new Countdown(n);
        CompletableFuture<Long> start = new CompletableFuture<>();
        sched.execute(() -> { // schedule from the loop's own thread, as a coroutine on it would
            start.complete(System.nanoTime());
            for (int i = 0; i < n; i++) {
                int idx = i;
                s.started(idx);
                sched.schedule(() -> {
                    s.woke(idx);
                    last.run();
                }, s.delayNanos[idx], TimeUnit.NANOSECONDS);
            }
        });
        long nanos = SideBySide.await(last.end) - SideBySide.await(start);
        return s.result(nanos).put("note", netty ? "EventLoop.schedule" : "ScheduledThreadPoolExecutor(1).schedule");
    }

    @Override
    public Result pingPong(int n) throws Exception {
        if (b == null) {
            b = singleThreadPool();
        }
        ExecutorService pongSide = b;
        CompletableFuture<Long> end = new CompletableFuture<>();
        Runnable ping = new Runnable() {
            private int sent;
            private final Runnable pong = () -> a.execute(this);

            @Override
            public void run() {
                if (sent++ < n) {
                    pongSide.execute(pong);
                } else {
                    end.complete(System.nanoTime());
                }
            }
        };
        long t0 = System.nanoTime();
        a.execute(ping);
        return Result.rate("round_trips_per_s", n, SideBySide.await(end) - t0);
    }

    @Override
    public Result poolScaling(int n, int producers, int loops, int inflight) throws Exception {
        if (netty) {
            if (poolGroup == null) {
                poolGroup = new MultiThreadIoEventLoopGroup(loops, NioIoHandler.newFactory());
            }
            EventLoopGroup group = poolGroup;
            return PoolScaling.run(n, producers, inflight, probe -> {
                CompletableFuture<Integer> cf = new CompletableFuture<>();
                group.next().execute(() -> cf.complete(VALUE));
                if (probe != null) {
                    cf.whenComplete(probe);
                }
                return cf;
            }).put("pool", "MultiThreadIoEventLoopGroup(" + loops + ", NioIoHandler)");
        }
        if (poolThreads == null) {
            poolThreads = PoolScaling.threadPool(loops);
        }
        ThreadPoolExecutor threads = poolThreads;
        return PoolScaling.run(n, producers, inflight, probe -> threads.submit(probe != null ? probe : () -> VALUE))
                .put("pool", "ThreadPoolExecutor(" + loops + ")");
    }

    @Override
    public void close() {
        if (poolGroup != null) {
            poolGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (poolThreads != null) {
            poolThreads.shutdown();
        }
        if (netty) {
            groupA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            groupB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        } else {
            a.shutdown();
            if (b != null) {
                b.shutdown();
            }
            if (scheduler != null) {
                scheduler.shutdown();
            }
        }
    }
}
