package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * 1,000,000 tasks each suspended in a long {@code Aio.sleep} at once fit in a 2 GiB heap; prints the bytes
 * per suspended task (heap used after GC, before and after). Not in the default suite (it takes tens of
 * seconds); run it with, for each engine:
 *
 * <pre>
 * mvn -B -q -pl loop-core test -Dtest=TaskMemoryTest -Dloopbridge.memoryTest=true \
 *     -Dsurefire.commonArgs="-XX:+EnableDynamicAgentLoading --sun-misc-unsafe-memory-access=allow -Xmx2g"
 * </pre>
 */
@EnabledIfSystemProperty(named = "loopbridge.memoryTest", matches = "true")
@Timeout(600)
class TaskMemoryTest {
    private static final long TWO_GIB = 2L << 30;
    private static final int BATCH = 10_000;

    @Test
    void aMillionSuspendedTasksFitInTwoGibibytes() throws Exception {
        int n = Integer.getInteger("loopbridge.memoryTest.tasks", 1_000_000);
        Runtime rt = Runtime.getRuntime();
        assertThat(rt.maxMemory()).as("run with -Xmx2g (see the class comment)").isLessThanOrEqualTo(TWO_GIB);
        // A fresh platform thread, as a main() would be, rather than JUnit's ~70 frames deep one.
        Throwable[] failure = {null};
        Thread runner = Thread.ofPlatform().name("memory-test-loop").start(() -> {
            try {
                Aio.run(() -> {
                    EventLoop loop = Aio.getRunningLoop();
                    Task<?>[] tasks = new Task<?>[n]; // allocated before the baseline: not counted
                    long before = usedAfterGc();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        tasks[i] = loop.createTask(() -> Aio.sleep(Duration.ofHours(1), null));
                    }
                    Aio.sleep(Duration.ZERO); // every task ran its first step and is suspended in its sleep
                    long started = System.nanoTime() - t0;
                    assertThat(loop.allTasks()).hasSize(n + 1);
                    long after = usedAfterGc();
                    System.out.printf("TaskMemoryTest[%s]: %,d suspended tasks, %,d bytes each (heap %,d -> %,d of"
                                    + " max %,d), created and suspended in %d ms%n", Engine.INSTANCE.name(), n,
                            (after - before) / n, before, after, rt.maxMemory(), started / 1_000_000);
                    // Cancel them in batches: all at once (what Aio.run would do now) needs a
                    // CancellationException with its stack trace per task on top of the suspended stacks.
                    long t1 = System.nanoTime();
                    for (int from = 0; from < n; from += BATCH) {
                        int to = Math.min(n, from + BATCH);
                        for (int i = from; i < to; i++) {
                            tasks[i].cancel();
                        }
                        for (int i = from; i < to; i++) {
                            assertThat(catchThrowable(tasks[i]::await)).isInstanceOf(CancellationException.class);
                            tasks[i] = null;
                        }
                    }
                    System.out.printf("TaskMemoryTest[%s]: cancelled in batches of %,d in %d ms%n",
                            Engine.INSTANCE.name(), BATCH, (System.nanoTime() - t1) / 1_000_000);
                    return null;
                });
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        long t1 = System.nanoTime();
        runner.join();
        System.out.printf("TaskMemoryTest[%s]: Aio.run returned after %d ms%n",
                Engine.INSTANCE.name(), (System.nanoTime() - t1) / 1_000_000);
        assertThat(failure[0]).isNull();
        // Aio.run cancelled all of them and let them finish: the heap is back.
        System.out.printf("TaskMemoryTest[%s]: after Aio.run %,d bytes used%n", Engine.INSTANCE.name(), usedAfterGc());
    }

    private static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
