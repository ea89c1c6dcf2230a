package io.loopbridge.benchmarks.sidebyside;

import java.util.concurrent.SynchronousQueue;

/**
 * Plain virtual threads on the JDK's default scheduler: a task is a virtual thread, a yield is
 * {@link Thread#yield()}, a sleep is {@link Thread#sleep}, a handoff is a {@link SynchronousQueue}.
 */
final class VirtualThreadPeer implements Peer {
    private static final Integer VALUE = 42;

    @Override
    public Result callSoonFromLoop(int n) throws NotApplicable {
        throw new NotApplicable("no loop thread to schedule callbacks on; a thread per callback is W4");
    }

    @Override
    public Result callSoonThreadsafe(int n) throws NotApplicable {
        throw new NotApplicable("no loop to submit callbacks to; a thread per callback is W4");
    }

    @Override
    public Result roundTrips(int n) throws Exception {
        long[] nanos = new long[n];
        Integer[] box = new Integer[1];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            Thread.startVirtualThread(() -> box[0] = VALUE).join();
            nanos[i] = System.nanoTime() - s;
        }
        return Result.rate("round_trips_per_s", n, System.nanoTime() - t0).latenciesMicros(nanos);
    }

    @Override
    public Result yieldingTasks(int n) throws Exception {
        long t0 = System.nanoTime();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            threads[i] = Thread.startVirtualThread(Thread::yield);
        }
        for (Thread t : threads) {
            t.join();
        }
        return Result.rate("tasks_per_s", n, System.nanoTime() - t0);
    }

    @Override
    public Result sleepers(int n, long seed) throws Exception {
        Sleepers s = new Sleepers(n, seed);
        long t0 = System.nanoTime();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int idx = i;
            threads[i] = Thread.startVirtualThread(() -> {
                s.started(idx);
                try {
                    Thread.sleep(java.time.Duration.ofNanos(s.delayNanos[idx]));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                s.woke(idx);
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        return s.result(System.nanoTime() - t0);
    }

    @Override
    public Result pingPong(int n) throws Exception {
        SynchronousQueue<Integer> ping = new SynchronousQueue<>(), pong = new SynchronousQueue<>();
        Thread b = Thread.startVirtualThread(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    pong.put(ping.take());
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long[] nanos = new long[1];
        Thread a = Thread.startVirtualThread(() -> {
            try {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ping.put(VALUE);
                    pong.take();
                }
                nanos[0] = System.nanoTime() - t0;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        a.join();
        b.join();
        return Result.rate("round_trips_per_s", n, nanos[0]);
    }

    @Override
    public Result poolScaling(int n, int producers, int loops, int inflight) throws NotApplicable {
        throw new NotApplicable("no loops to pool: the JDK's scheduler has its own carriers");
    }

    @Override
    public void close() {
    }
}
