package io.loopbridge.spring.boot;

import io.loopbridge.bridge.LoopPool;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The auto-configured {@link LoopPool}'s settings, {@code loopbridge.pool.*}. Each setter checks its value, so that
 * a bad one fails startup with a message naming the property and what it accepts. Not thread-safe: Spring binds
 * it once, before the pool is built.
 */
@ConfigurationProperties(LoopPoolProperties.PREFIX)
public class LoopPoolProperties {
    /** The prefix of these properties. */
    public static final String PREFIX = "loopbridge.pool";

    /** Number of loops, each on its own platform thread. Default: the number of available processors. */
    private Integer loops;

    /** The pool's name: thread names, rejections, the {@code pool} tag of its meters. */
    private String name = "loopbridge";

    /** How a submission picks its loop: ROUND_ROBIN, or LEAST_LOADED (fewest callbacks waiting). */
    private LoopPool.Selection chooser = LoopPool.Selection.ROUND_ROBIN;

    /** Bound on the submissions waiting in each loop's inbox; 0 means unbounded. */
    private int maxPending;

    /** What a submission to a full loop does (max-pending reached): REJECT at once, or CALLER_BLOCKS. */
    private LoopPool.WhenFull whenFull = LoopPool.WhenFull.REJECT;

    /** With when-full=CALLER_BLOCKS: how long a submitter waits for a place before it is rejected. */
    private Duration whenFullTimeout = Duration.ofSeconds(1);

    /** How long one callback or coroutine step may run before the watchdog reports its loop blocked; 0 turns the watchdog off. */
    private Duration blockedThreshold = Duration.ofSeconds(2);

    /** How long an idle loop spins before it parks. Default: the loop's own (50 microseconds); 0 never spins. */
    private Duration idleSpin;

    /** asyncio's debug mode on every loop: slow callbacks logged, where each task was created recorded. */
    private boolean debug;

    /** How long running tasks may go on once shutdown starts; capped by spring.lifecycle.timeout-per-shutdown-phase. */
    private Duration shutdownGrace = Duration.ofSeconds(10);

    /** After the grace period, how long cancelled tasks may take to unwind before their loop closes under them. */
    private Duration cancellationTimeout = Duration.ofSeconds(5);

    /** The number of loops, or null for the number of available processors. */
    public Integer getLoops() {
        return loops;
    }

    /** Sets the number of loops (at least 1). */
    public void setLoops(Integer loops) {
        if (loops != null && loops < 1) {
            throw invalid("loops", loops, "at least 1 (one platform thread per loop)");
        }
        this.loops = loops;
    }

    /** The pool's name. */
    public String getName() {
        return name;
    }

    /** Sets the pool's name (not blank). */
    public void setName(String name) {
        if (name == null || name.isBlank()) {
            throw invalid("name", name, "a non-blank name (threads, rejections and the meters' pool tag use it)");
        }
        this.name = name;
    }

    /** How {@link LoopPool#next()} picks a loop. */
    public LoopPool.Selection getChooser() {
        return chooser;
    }

    /** Sets how {@link LoopPool#next()} picks a loop. */
    public void setChooser(LoopPool.Selection chooser) {
        this.chooser = chooser;
    }

    /** The bound on each loop's pending submissions; 0 means unbounded. */
    public int getMaxPending() {
        return maxPending;
    }

    /** Sets the bound on each loop's pending submissions (0 for none). */
    public void setMaxPending(int maxPending) {
        if (maxPending < 0) {
            throw invalid("max-pending", maxPending, "0 (unbounded) or more");
        }
        this.maxPending = maxPending;
    }

    /** What a submission to a full loop does. */
    public LoopPool.WhenFull getWhenFull() {
        return whenFull;
    }

    /** Sets what a submission to a full loop does. */
    public void setWhenFull(LoopPool.WhenFull whenFull) {
        this.whenFull = whenFull;
    }

    /** How long a blocked submitter waits, with {@code CALLER_BLOCKS}. */
    public Duration getWhenFullTimeout() {
        return whenFullTimeout;
    }

    /** Sets how long a blocked submitter waits (not negative). */
    public void setWhenFullTimeout(Duration whenFullTimeout) {
        this.whenFullTimeout = nonNegative("when-full-timeout", whenFullTimeout);
    }

    /** The watchdog's threshold; zero when it is off. */
    public Duration getBlockedThreshold() {
        return blockedThreshold;
    }

    /** Sets the watchdog's threshold (0 turns it off; not negative). */
    public void setBlockedThreshold(Duration blockedThreshold) {
        this.blockedThreshold = nonNegative("blocked-threshold", blockedThreshold);
    }

    /** The loops' idle spin, or null for the loop's default. */
    public Duration getIdleSpin() {
        return idleSpin;
    }

    /** Sets the loops' idle spin (not negative). */
    public void setIdleSpin(Duration idleSpin) {
        this.idleSpin = nonNegative("idle-spin", idleSpin);
    }

    /** Whether the loops run in debug mode. */
    public boolean isDebug() {
        return debug;
    }

    /** Sets whether the loops run in debug mode. */
    public void setDebug(boolean debug) {
        this.debug = debug;
    }

    /** The shutdown's grace period. */
    public Duration getShutdownGrace() {
        return shutdownGrace;
    }

    /** Sets the shutdown's grace period (not negative). */
    public void setShutdownGrace(Duration shutdownGrace) {
        this.shutdownGrace = nonNegative("shutdown-grace", shutdownGrace);
    }

    /** How long cancelled tasks may take to unwind at shutdown. */
    public Duration getCancellationTimeout() {
        return cancellationTimeout;
    }

    /** Sets how long cancelled tasks may take to unwind at shutdown (not negative). */
    public void setCancellationTimeout(Duration cancellationTimeout) {
        this.cancellationTimeout = nonNegative("cancellation-timeout", cancellationTimeout);
    }

    /**
     * Checks what no single setter can: {@code when-full} other than REJECT needs a bound.
     *
     * @throws IllegalStateException naming the properties to set
     */
    void checkConsistent() {
        if (whenFull == LoopPool.WhenFull.CALLER_BLOCKS && maxPending == 0) {
            throw new IllegalStateException(PREFIX + ".when-full=CALLER_BLOCKS needs a bound; set " + PREFIX
                    + ".max-pending to 1 or more");
        }
    }

    private static Duration nonNegative(String property, Duration value) {
        if (value != null && value.isNegative()) {
            throw invalid(property, value, "a duration of 0 or more, e.g. 500ms or 2s");
        }
        return value;
    }

    private static IllegalArgumentException invalid(String property, Object value, String accepted) {
        return new IllegalArgumentException(PREFIX + "." + property + " is " + value + "; it must be " + accepted);
    }
}
