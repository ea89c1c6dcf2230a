package io.loopbridge.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.core.EventLoop;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * The inbox wake-up: a loop with nothing to do parks until its next timer; a producer's
 * {@code callSoonThreadsafe} must wake it whatever the interleaving with "about to park" (the
 * {@code wakeupNeeded} flag, the inbox re-check, the park). A lost wake-up cannot hang here: the loop's only
 * timer, {@link #PATIENCE} away, stops it and says so. The real {@link EventLoop}, end to end.
 */
@JCStressTest
@Description("callSoonThreadsafe vs a loop about to park: the callback runs and the loop is woken for it")
@Outcome(id = "true, false", expect = ACCEPTABLE, desc = "The callback ran; the loop was woken (or never slept)")
@Outcome(id = "true, true", expect = FORBIDDEN, desc = "Lost wake-up: the loop slept until its timeout with the callback queued")
@Outcome(expect = FORBIDDEN, desc = "The callback never ran")
@State
public class InboxWakeupTest {
    /** Far beyond any scheduling delay of the producer, so a timeout means a lost wake-up. */
    static final Duration PATIENCE = Duration.ofSeconds(2);

    private final EventLoop loop = EventLoop.create();
    private volatile boolean ran;
    private volatile boolean timedOut;

    @Actor
    public void loop(ZZ_Result r) {
        loop.callLater(PATIENCE, () -> {
            timedOut = true;
            loop.stop();
        });
        loop.runForever(); // idle: parks until the timer, unless woken
        r.r1 = ran;
        r.r2 = timedOut;
    }

    @Actor
    public void producer() {
        loop.callSoonThreadsafe(() -> {
            ran = true;
            loop.stop();
        });
    }
}
