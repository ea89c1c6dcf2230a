package io.loopbridge.benchmarks;

import io.loopbridge.core.Coroutine;
import io.loopbridge.core.Task;
import io.loopbridge.core.sync.LoopQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;

/**
 * {@link LoopQueue} handoff between two tasks of one loop: a producer {@code put}s {@value #ITEMS} items, a
 * consumer {@code get}s them. One operation is one item put and got. {@code maxSize=1} ({@code fifo(1)}):
 * every item is a handoff, each side suspends once per item (the producer on a full queue, the consumer on
 * an empty one) and wakes the other. {@code maxSize=0} (unbounded): the producer never suspends; the
 * consumer, started first, suspends once, then finds every item queued: it measures put and get without
 * waiting, as asyncio's unbounded queue behaves.
 */
public abstract class QueueBenchmark extends OnLoopBenchmark {
    static final int ITEMS = 10_000;
    private static final Object ITEM = new Object();

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED"})
    public static class Fast extends QueueBenchmark {
        @Override
        boolean expectFast() {
            return true;
        }
    }

    @Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Dloopbridge.engine=fallback"})
    public static class Fallback extends QueueBenchmark {
        @Override
        boolean expectFast() {
            return false;
        }
    }

    @Param({"1", "0"})
    public int maxSize;

    private LoopQueue<Object> queue;

    private final Coroutine<Integer> consumer = () -> {
        int got = 0;
        for (int i = 0; i < ITEMS; i++) {
            if (queue.get() == ITEM) {
                got++;
            }
        }
        return got;
    };

    private final Coroutine<Void> producer = () -> {
        for (int i = 0; i < ITEMS; i++) {
            queue.put(ITEM);
        }
        return null;
    };

    @Override
    void prepare() {
        queue = LoopQueue.fifo(maxSize);
    }

    @Benchmark
    @OperationsPerInvocation(ITEMS)
    public int handoff() throws Exception {
        Task<Integer> got = loop.createTask(consumer);
        loop.createTask(producer);
        int n = loop.runUntilComplete(got); // the producer's last put precedes the consumer's last get
        expect(n, ITEMS, "items got");
        expect(queue.size(), 0, "items left in the queue");
        return n;
    }
}
