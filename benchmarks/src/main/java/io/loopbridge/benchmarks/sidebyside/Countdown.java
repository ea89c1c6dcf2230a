package io.loopbridge.benchmarks.sidebyside;

import java.util.concurrent.CompletableFuture;

/**
 * The callback of the flood workloads: the same instance is scheduled {@code n} times (so the systems pay
 * only for their own queue entry), counts down on its single consumer thread, and completes {@link #end}
 * with the time the last one ran.
 */
final class Countdown implements Runnable {
    private int left;
    final CompletableFuture<Long> end = new CompletableFuture<>();

    Countdown(int n) {
        this.left = n;
    }

    @Override
    public void run() {
        if (--left == 0) {
            end.complete(System.nanoTime());
        }
    }
}
