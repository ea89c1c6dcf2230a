package io.loopbridge.benchmarks.sidebyside;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One side-by-side measurement in its own JVM: {@code SideBySide SYSTEM WORKLOAD N [--warmup K] [--warmup-n N] [--iters M]
 * [--seed S] [--producers K --loops L --inflight F]} (the last three for W7, default 1, 1, 64). Runs the workload K times unmeasured (at size N, default the measured size), then M times, and prints one JSON line with the run whose
 * primary metric is the median. The orchestrator ({@code benchmarks/python/sidebyside.py}) starts one such
 * process per system, workload and round, shuffles the order, and measures peak RSS around it.
 *
 * <p>Systems: {@code loopbridge} (the engine is chosen by the JVM's flags and reported), {@code netty},
 * {@code tpe}, {@code vthreads}. Workloads: W1–W7, W1x and W2x as in {@code benchmarks/SIDE_BY_SIDE.md}.
 */
public final class SideBySide {
    private static final long TIMEOUT_SECONDS = 600;
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SideBySide loopbridge|netty|tpe|vthreads W1..W7|W1x|W2x N [--warmup K] [--warmup-n N] [--iters M] [--seed S]"
                    + " [--producers K --loops L --inflight F]");
            System.exit(2);
        }
        String system = args[0], workload = args[1];
        int n = Integer.parseInt(args[2]);
        int warmup = 1, iters = 1, warmupN = n;
        long seed = 1;
        int producers = 1, loops = 1, inflight = 64;
        for (int i = 3; i < args.length; i += 2) {
            switch (args[i]) {
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--warmup-n" -> warmupN = Integer.parseInt(args[i + 1]);
                case "--iters" -> iters = Integer.parseInt(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                case "--producers" -> producers = Integer.parseInt(args[i + 1]);
                case "--loops" -> loops = Integer.parseInt(args[i + 1]);
                case "--inflight" -> inflight = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        StringBuilder json = new StringBuilder("{");
        field(json, "system", system).append(',');
        field(json, "workload", workload).append(',');
        field(json, "n", n).append(',');
        if (workload.equals("W7")) {
            field(json, "producers", producers).append(',');
            field(json, "loops", loops).append(',');
            field(json, "inflight", inflight).append(',');
        }
        field(json, "runtime", "Java " + Runtime.version());
        int status = 0;
        try (Peer peer = create(system)) {
            for (Map.Entry<String, Object> e : peer.describe().metrics.entrySet()) {
                field(json.append(','), e.getKey(), e.getValue());
            }
            for (int i = 0; i < warmup; i++) {
                run(peer, workload, warmupN, seed + 1 + i, producers, loops, inflight);
            }
            List<Result> runs = new ArrayList<>();
            for (int i = 0; i < iters; i++) {
                System.gc(); // an explicit GC before each measured run: the warm-up's garbage is not its cost
                long allocated = ALLOCATION.getTotalThreadAllocatedBytes();
                long cpu = PROCESS.getProcessCpuTime();
                Result r = run(peer, workload, n, seed, producers, loops, inflight);
                // Every thread's heap allocation during the run (loop, producer, carriers), per operation.
                r.put("alloc_b_per_op", (double) (ALLOCATION.getTotalThreadAllocatedBytes() - allocated) / n);
                // The whole process's CPU (every thread, JIT and GC included), per operation.
                r.put("cpu_us_per_op", (PROCESS.getProcessCpuTime() - cpu) / 1000.0 / n);
                runs.add(r);
            }
            runs.sort(Comparator.comparingDouble(Result::primaryValue));
            Result median = runs.get(runs.size() / 2);
            field(json.append(','), "primary", median.primary);
            for (Map.Entry<String, Object> e : median.metrics.entrySet()) {
                field(json.append(','), e.getKey(), e.getValue());
            }
        } catch (NotApplicable na) {
            field(json.append(','), "na", na.getMessage());
        } catch (Throwable e) {
            field(json.append(','), "error", e.toString());
            e.printStackTrace();
            status = 1;
        }
        System.out.println(json.append('}'));
        System.out.flush();
        // A peer's non-daemon threads (a pool, a stuck loop) must not keep a finished measurement alive.
        System.exit(status);
    }

    private static Peer create(String system) {
        return switch (system) {
            case "loopbridge" -> new LoopbridgePeer();
            case "netty" -> ExecutorPeer.netty();
            case "tpe" -> ExecutorPeer.threadPool();
            case "vthreads" -> new VirtualThreadPeer();
            default -> throw new IllegalArgumentException("unknown system " + system);
        };
    }

    private static Result run(Peer peer, String workload, int n, long seed, int producers, int loops, int inflight)
            throws Exception {
        return switch (workload) {
            case "W1" -> peer.callSoonFromLoop(n);
            case "W2" -> peer.callSoonThreadsafe(n);
            case "W1x" -> peer.executeFromLoop(n);
            case "W2x" -> peer.executeThreadsafe(n);
            case "W3" -> peer.roundTrips(n);
            case "W4" -> peer.yieldingTasks(n);
            case "W5" -> peer.sleepers(n, seed);
            case "W6" -> peer.pingPong(n);
            case "W7" -> peer.poolScaling(n, producers, loops, inflight);
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
    }

    /** W2 for any executor: one producer thread submits {@code n} callbacks; until the last one ran. */
    static Result flood(Executor target, int n) throws Exception {
        Countdown last = new Countdown(n);
        long[] t0 = new long[1];
        Thread producer = Thread.ofPlatform().name("producer").start(() -> {
            t0[0] = System.nanoTime();
            for (int i = 0; i < n; i++) {
                target.execute(last);
            }
        });
        long end = await(last.end);
        producer.join();
        return Result.rate("callbacks_per_s", n, end - t0[0]);
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static StringBuilder field(StringBuilder sb, String key, Object value) {
        sb.append('"').append(key).append("\":");
        if (value instanceof Double d) {
            sb.append(String.format(Locale.ROOT, "%.6g", d));
        } else if (value instanceof Number) {
            sb.append(value);
        } else {
            sb.append('"').append(String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"")
                    .replace("\n", " ")).append('"');
        }
        return sb;
    }
}
