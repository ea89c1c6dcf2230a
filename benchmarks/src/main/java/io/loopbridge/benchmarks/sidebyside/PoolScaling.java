package io.loopbridge.benchmarks.sidebyside;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * W7's driver, the same for every system: {@code producers} platform threads share {@code n} submissions of a
 * trivial task to the system's pool, each keeping at most {@code inflight} of its own in flight (before its
 * i-th submission it waits for its (i - inflight)-th; {@code inflight} 1 is a closed loop, as W3). Throughput
 * is all submissions over the time from the common start to the last completion. Latency, from just before
 * a submission to its future's completion, is sampled one submission in {@value #SAMPLE} (a {@link Probe}
 * the system stamps on the completing thread), so the other submissions pay no clock read or callback.
 */
final class PoolScaling {
    static final int SAMPLE = 16;
    private static final Integer VALUE = 42;

    /** A system's submission of the trivial task, its future returned; a non-null probe is stamped at completion. */
    @FunctionalInterface
    interface Submitter {
        Future<?> submit(Probe probe) throws Exception;
    }

    /**
     * One sampled submission: {@link #completed()} stamps when its future completed. It is also the trivial
     * task itself, for systems whose completion hook sees only the task ({@link #threadPool}).
     */
    static final class Probe implements BiConsumer<Object, Throwable>, Callable<Integer> {
        private final long[] ends;
        private final int index;
        private final CountDownLatch stamped;

        private Probe(long[] ends, int index, CountDownLatch stamped) {
            this.ends = ends;
            this.index = index;
            this.stamped = stamped;
        }

        void completed() {
            ends[index] = System.nanoTime();
            stamped.countDown();
        }

        /** As a {@code whenComplete} action. */
        @Override
        public void accept(Object value, Throwable failure) {
            completed();
        }

        @Override
        public Integer call() {
            return VALUE;
        }
    }

    private PoolScaling() {
    }

    /**
     * A {@link ThreadPoolExecutor} of {@code threads} threads on one {@link LinkedBlockingQueue}, as
     * {@code Executors.newFixedThreadPool} makes, whose {@code submit} of a {@link Probe} stamps it when the
     * future completes (its {@code FutureTask.done()}); every other submission is the JDK's own.
     */
    static ThreadPoolExecutor threadPool(int threads) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>()) {
            @Override
            protected <T> RunnableFuture<T> newTaskFor(Callable<T> task) {
                if (!(task instanceof Probe probe)) {
                    return super.newTaskFor(task);
                }
                return new FutureTask<>(task) {
                    @Override
                    protected void done() {
                        probe.completed();
                    }
                };
            }
        };
    }

    /** Runs W7 once: {@code n} submissions in all, split evenly over the producers. */
    static Result run(int n, int producers, int inflight, Submitter submitter) throws Exception {
        int samples = 0;
        int[] ops = new int[producers];
        for (int k = 0; k < producers; k++) {
            ops[k] = n / producers + (k < n % producers ? 1 : 0);
            samples += (ops[k] + SAMPLE - 1) / SAMPLE;
        }
        long[] starts = new long[samples], ends = new long[samples];
        long[] finished = new long[producers];
        CountDownLatch ready = new CountDownLatch(producers), go = new CountDownLatch(1);
        CountDownLatch stamped = new CountDownLatch(samples);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[producers];
        for (int k = 0, first = 0; k < producers; first += (ops[k] + SAMPLE - 1) / SAMPLE, k++) {
            int mine = ops[k], slot0 = first, who = k;
            threads[k] = Thread.ofPlatform().name("producer-" + k).start(() -> {
                try {
                    Future<?>[] window = new Future<?>[inflight];
                    ready.countDown();
                    go.await();
                    for (int i = 0; i < mine; i++) {
                        Future<?> oldest = window[i % inflight];
                        if (oldest != null) {
                            oldest.get();
                        }
                        Probe probe = null;
                        if (i % SAMPLE == 0) {
                            int s = slot0 + i / SAMPLE;
                            probe = new Probe(ends, s, stamped);
                            starts[s] = System.nanoTime();
                        }
                        window[i % inflight] = submitter.submit(probe);
                    }
                    for (Future<?> f : window) {
                        if (f != null) {
                            f.get();
                        }
                    }
                    finished[who] = System.nanoTime();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        long end = Long.MIN_VALUE;
        for (int k = 0; k < producers; k++) {
            threads[k].join();
            end = Math.max(end, finished[k]);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a W7 producer failed", failure.get());
        }
        // A future's get() may return before its completion hook ran (both CompletableFuture and FutureTask
        // wake their waiters first): wait for every stamp.
        if (!stamped.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(stamped.getCount() + " sampled completions were never stamped");
        }
        long[] nanos = new long[samples];
        for (int s = 0; s < samples; s++) {
            nanos[s] = ends[s] - starts[s];
        }
        return Result.rate("ops_per_s", n, end - t0).latenciesMicros(nanos);
    }
}
