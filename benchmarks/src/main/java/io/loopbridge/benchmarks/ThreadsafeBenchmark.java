package io.loopbridge.benchmarks;

import io.loopbridge.core.EventLoop;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code callSoonThreadsafe} throughput from one and from two producer threads into a loop running on its
 * own platform thread. One operation is a callback submitted <em>and run</em>: each invocation submits
 * {@value #BATCH} callbacks, then waits until the loop has run all of them (the producer's last callback
 * unparks it), so the score is bounded by the loop's draining, not only by enqueueing. Between batches the
 * loop may go idle and park, so the wake-up a submission owes a parked loop is in the score too. With two
 * producers the score is their sum. On a 2-core machine two producers and the loop share two cores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@State(Scope.Benchmark)
public class ThreadsafeBenchmark {
    static final int BATCH = 1000;

    /** See {@link IoSetting}. */
    @Param({"none", "nio", "nioChannel"})
    public String io;

    private final FailFast errors = new FailFast();
    private EventLoop loop;
    private Thread loopThread;

    /** One producer thread's bookkeeping. {@code ran} is written by the loop thread only. */
    @State(Scope.Thread)
    public static class Producer {
        volatile long ran;
        // Written by the producer before it submits; the inbox's offer/poll orders them before the reads.
        long target;
        Thread waiter;
        final Runnable tick = this::tick;

        private void tick() {
            long r = ran + 1;
            ran = r;
            if (r == target) {
                LockSupport.unpark(waiter);
            }
        }
    }

    @Setup
    public void startLoop() {
        loop = IoSetting.apply(EventLoop.builder().name("threadsafe-bench").exceptionHandler(errors), io).build();
        loopThread = Thread.ofPlatform().name("threadsafe-bench-loop").daemon(true).start(() -> {
            try {
                IoSetting.register(loop, io); // an I/O loop stays on its first thread: register from this one
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            loop.runForever();
            loop.close(); // on its own thread, where an I/O loop's channels live
        });
    }

    @TearDown
    public void closeLoop() throws InterruptedException {
        loop.callSoonThreadsafe(loop::stop);
        loopThread.join();
        errors.check();
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void oneProducer(Producer p, Blackhole bh) {
        submitBatchAndWait(p, bh);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public void twoProducers(Producer p, Blackhole bh) {
        submitBatchAndWait(p, bh);
    }

    /** One producer through the {@code Executor} face: no handle to return, none made. */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void oneProducerExecute(Producer p) {
        long target = start(p);
        for (int i = 0; i < BATCH; i++) {
            loop.execute(p.tick);
        }
        awaitRan(p, target);
    }

    private void submitBatchAndWait(Producer p, Blackhole bh) {
        long target = start(p);
        for (int i = 0; i < BATCH; i++) {
            bh.consume(loop.callSoonThreadsafe(p.tick));
        }
        awaitRan(p, target);
    }

    /** What {@code p}'s loop will have run after this batch. */
    private static long start(Producer p) {
        long target = p.ran + BATCH; // the loop has run everything we submitted before: ran is stable
        p.target = target;
        p.waiter = Thread.currentThread();
        return target;
    }

    private void awaitRan(Producer p, long target) {
        while (p.ran != target) {
            // Unparked by our last callback; the timeout only turns a dead loop into a failure, not a hang.
            LockSupport.parkNanos(p, 10_000_000L);
            if (!loopThread.isAlive()) {
                throw new IllegalStateException("the loop thread died");
            }
        }
    }
}
