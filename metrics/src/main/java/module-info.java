/**
 * Per-loop and per-pool meters on a Micrometer registry: {@link io.loopbridge.metrics.LoopMetrics} and
 * {@link io.loopbridge.metrics.LoopPoolMetrics}. Gauges read the loops' counters at scrape time; the loop
 * thread never calls Micrometer.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer core: automatic, and in our API
module io.loopbridge.metrics {
    requires transitive io.loopbridge.bridge;
    requires transitive micrometer.core;

    exports io.loopbridge.metrics;
}
