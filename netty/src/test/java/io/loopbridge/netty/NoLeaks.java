package io.loopbridge.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test after which Netty reports a leaked buffer ({@code @ExtendWith(NoLeaks.class)}). Netty finds a leak
 * only once the buffer was garbage-collected and another buffer is tracked, so each check drops a "canary" buffer,
 * collects garbage and allocates until the canary's own leak is reported, twice over: by then every buffer that
 * was unreachable before the check has been reported too.
 */
public final class NoLeaks implements AfterEachCallback {
    private static final AtomicLong CANARIES = new AtomicLong();

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        assertThat(leaks()).as("buffers leaked by " + context.getDisplayName()
                + " (Netty's leak detector, level " + ResourceLeakDetector.getLevel() + ")").isEmpty();
    }

    /** Every leak of a buffer that is unreachable now (canaries left out). */
    static List<String> leaks() throws InterruptedException {
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            String canary = "leak-canary-" + CANARIES.incrementAndGet();
            dropCanary(canary);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean seen = false;
            while (!seen) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("Netty did not report the leak canary within 10 s; are "
                            + "io.netty.leakDetection.level=paranoid and io.netty.customResourceLeakDetector="
                            + LeakRecorder.class.getName() + " set (netty/pom.xml's surefire configuration)?");
                }
                System.gc();
                ByteBufAllocator.DEFAULT.buffer(1).release(); // tracking a buffer reports the collected ones
                for (String leak : LeakRecorder.drain()) {
                    if (leak.contains(canary)) {
                        seen = true;
                    } else if (!leak.contains("leak-canary-")) {
                        leaks.add(leak);
                    }
                }
                if (!seen) {
                    Thread.sleep(1); // polling for the GC's reference handler, bounded by the deadline
                }
            }
        }
        return leaks;
    }

    /** Allocates a buffer marked {@code hint} and drops it unreleased: a deliberate leak. */
    static void dropCanary(String hint) {
        ByteBuf canary = ByteBufAllocator.DEFAULT.buffer(1);
        canary.touch(hint);
    }
}
