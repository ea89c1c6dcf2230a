package io.loopbridge.netty;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's leak detector for this module's tests, installed by surefire ({@code io.netty.customResourceLeakDetector}):
 * a leak Netty finds is recorded here for {@link NoLeaks} to fail the test with, instead of being logged as an ERROR
 * that no test sees.
 */
public final class LeakRecorder<T> extends ResourceLeakDetector<T> {
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();

    /** The constructor Netty's default factory looks for. */
    public LeakRecorder(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /**
     * The constructor Netty's factory also looks up (an obsolete one, logged as an ERROR when absent); it is not
     * used while the one above exists. {@code maxActive} is ignored, as Netty does.
     */
    public LeakRecorder(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    /** Reports even if the logger would not show an ERROR. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected." + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it's garbage-collected (untraced)");
    }

    /** The leaks reported since the last call. */
    static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            out.add(leak);
        }
        return out;
    }
}
