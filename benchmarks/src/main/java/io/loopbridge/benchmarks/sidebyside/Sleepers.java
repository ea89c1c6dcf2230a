package io.loopbridge.benchmarks.sidebyside;

import java.util.SplittableRandom;

/**
 * W5's bookkeeping: each sleeper's random delay (0–1 s, seeded), when it started sleeping, when it was due
 * and when it woke. Each sleeper writes only its own slots; the reader runs after all are done.
 * Lateness is reported only for timers due after the last sleeper started, so the cost of starting them
 * all does not count as lateness.
 */
final class Sleepers {
    final long[] delayNanos;
    private final long[] start;
    private final long[] woke;

    Sleepers(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        delayNanos = new long[n];
        for (int i = 0; i < n; i++) {
            delayNanos[i] = random.nextLong(1_000_000_000L);
        }
        start = new long[n];
        woke = new long[n];
    }

    void started(int i) {
        start[i] = System.nanoTime();
    }

    void woke(int i) {
        woke[i] = System.nanoTime();
    }

    Result result(long wallNanos) {
        int n = delayNanos.length;
        long allStarted = Long.MIN_VALUE;
        for (long s : start) {
            allStarted = Math.max(allStarted, s);
        }
        long[] late = new long[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (woke[i] == 0) {
                throw new IllegalStateException("sleeper " + i + " never woke");
            }
            long due = start[i] + delayNanos[i];
            if (due > allStarted) {
                late[m++] = woke[i] - due;
            }
        }
        long[] sample = java.util.Arrays.copyOf(late, m);
        java.util.Arrays.sort(sample);
        Result r = Result.of("wall_ms").put("wall_ms", wallNanos / 1e6).put("timed", m);
        if (m > 0) {
            r.put("late_p50_ms", Result.percentile(sample, 0.50) / 1e6)
                    .put("late_p99_ms", Result.percentile(sample, 0.99) / 1e6)
                    .put("late_max_ms", sample[m - 1] / 1e6);
        }
        return r;
    }
}
