package io.loopbridge.benchmarks.sidebyside;

/**
 * One system under comparison. Each method runs one workload once and returns what it measured; the
 * process runs warm-up rounds first. A workload the system cannot express throws {@link NotApplicable}.
 */
interface Peer extends AutoCloseable {
    /** W1: {@code n} callbacks scheduled from the loop's own thread; callbacks/s. */
    Result callSoonFromLoop(int n) throws Exception;

    /** W2: one producer thread submits {@code n} callbacks; time until the last ran; callbacks/s. */
    Result callSoonThreadsafe(int n) throws Exception;

    /** W1x: W1 through the {@code Executor} face ({@code execute} from the loop's thread); by default W1 itself. */
    default Result executeFromLoop(int n) throws Exception {
        return callSoonFromLoop(n);
    }

    /** W2x: W2 through the {@code Executor} face ({@code execute}); by default W2 itself. */
    default Result executeThreadsafe(int n) throws Exception {
        return callSoonThreadsafe(n);
    }

    /** W3: a blocking thread submits {@code n} trivial coroutines in a row, waiting for each; latency. */
    Result roundTrips(int n) throws Exception;

    /** W4: {@code n} tasks that each yield once and return, gathered; tasks/s. */
    Result yieldingTasks(int n) throws Exception;

    /** W5: {@code n} tasks each sleeping a random 0–1 s; wall time and timer lateness. */
    Result sleepers(int n, long seed) throws Exception;

    /** W6: {@code n} round trips between two loops on two threads; round trips/s. */
    Result pingPong(int n) throws Exception;

    /**
     * W7: {@code producers} threads submit {@code n} trivial tasks in all to a pool of {@code loops} loops
     * (threads), each keeping {@code inflight} in flight ({@link PoolScaling}); ops/s, latency.
     */
    Result poolScaling(int n, int producers, int loops, int inflight) throws Exception;

    /** Extra facts for the JSON line (e.g. the coroutine engine actually in use). */
    default Result describe() throws Exception {
        return Result.of("none");
    }

    /** Stops the system's threads. Interrupted: stops waiting and keeps the interrupt. */
    @Override
    void close();
}
