package io.loopbridge.benchmarks.sidebyside;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The metrics of one measured run, in the order they are printed; {@code primary} names the one ranked on. */
final class Result {
    final String primary;
    final Map<String, Object> metrics = new LinkedHashMap<>();

    private Result(String primary) {
        this.primary = primary;
    }

    /** A throughput result: {@code n} operations in {@code nanos}. */
    static Result rate(String unit, int n, long nanos) {
        Result r = new Result(unit);
        r.metrics.put(unit, n * 1e9 / nanos);
        r.metrics.put("elapsed_ms", nanos / 1e6);
        return r;
    }

    static Result of(String primary) {
        return new Result(primary);
    }

    Result put(String key, Object value) {
        metrics.put(key, value);
        return this;
    }

    double primaryValue() {
        return ((Number) metrics.get(primary)).doubleValue();
    }

    /** Adds p50/p99/p99.9 in microseconds of the given nanosecond samples (sorted in place). */
    Result latenciesMicros(long[] nanos) {
        Arrays.sort(nanos);
        metrics.put("p50_us", percentile(nanos, 0.50) / 1e3);
        metrics.put("p99_us", percentile(nanos, 0.99) / 1e3);
        metrics.put("p999_us", percentile(nanos, 0.999) / 1e3);
        metrics.put("max_us", nanos[nanos.length - 1] / 1e3);
        return this;
    }

    /** Nearest-rank percentile of sorted samples. */
    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
