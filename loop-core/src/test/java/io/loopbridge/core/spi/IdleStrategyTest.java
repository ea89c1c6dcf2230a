package io.loopbridge.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one spin-then-park policy learns: it spins where spinning pays, and stops where it cannot. */
class IdleStrategyTest {
    private static final long MAX = 50_000;

    @AfterEach
    void endTheBackOffThisTestMayHaveCaused() {
        IdleStrategy.endBackOff(); // other tests in this JVM expect the machine's own state, not ours
        IdleStrategy.collectionEndedWithin = REAL_COLLECTIONS;
    }

    private static final java.util.function.LongPredicate REAL_COLLECTIONS = IdleStrategy.collectionEndedWithin;

    private static long ago(long nanos) {
        return System.nanoTime() - nanos;
    }

    @Test
    void waitsLongerThanAnySpinHalveTheBudgetDownToNothing() {
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        assertThat(idle.budgetNanos()).isEqualTo(MAX);
        idle.waitEnded(ago(10_000_000), true); // parked, and woken 10 ms later: no spin would have caught it
        assertThat(idle.budgetNanos()).isEqualTo(MAX / 2);
        for (int i = 0; i < 20; i++) {
            idle.waitEnded(ago(10_000_000), true);
        }
        assertThat(idle.budgetNanos()).isZero();
        assertThat(idle.spin(System.nanoTime())).as("a site whose waits are long does not spin").isFalse();
    }

    @Test
    void shortWaitsGrowTheBudgetBackUpToItsMaximum() {
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        for (int i = 0; i < 20; i++) {
            idle.waitEnded(ago(10_000_000), true);
        }
        assertThat(idle.budgetNanos()).isZero();
        idle.waitEnded(ago(0), true); // parked at once, woken at once: a spin would have caught it
        assertThat(idle.budgetNanos()).isPositive().isLessThan(MAX);
        for (int i = 0; i < 10; i++) {
            idle.waitEnded(ago(0), false);
        }
        assertThat(idle.budgetNanos()).isEqualTo(MAX);
    }

    @Test
    void eachSiteLearnsOnItsOwn() {
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        IdleStrategy other = idle.fresh();
        idle.waitEnded(ago(10_000_000), true);
        assertThat(other.budgetNanos()).isEqualTo(MAX);
        assertThat(other.spinNanos()).isEqualTo(MAX);
    }

    /**
     * A wait caught by its spin only long after the spin should have ended means the spinner was descheduled: the
     * machine has no CPU to spare, and then nothing in the JVM spins for a while.
     */
    @Test
    void aSpinnerThatWasDescheduledStopsEverySiteFromSpinning() {
        IdleStrategy.collectionEndedWithin = window -> false; // no GC explains the gap
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        IdleStrategy elsewhere = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        long backOffs = IdleStrategy.backOffs();
        idle.waitEnded(ago(MAX + 10 * IdleStrategy.PREEMPTED_NANOS), false);
        assertThat(IdleStrategy.backOffs()).isEqualTo(backOffs + 1);
        assertThat(elsewhere.currentSpinNanos()).isZero();
        assertThat(elsewhere.spin(System.nanoTime())).isFalse();
        assertThat(elsewhere.budgetNanos()).as("what it learned is kept for later").isEqualTo(MAX);
    }

    /**
     * A garbage collection stops every thread, spinners too: the gap it leaves says nothing about the machine
     * (the outside harness's explicit GC before its measured run stopped all spinning for a second).
     */
    @Test
    void aGapThatAGarbageCollectionExplainsStopsNothing() {
        IdleStrategy.collectionEndedWithin = window -> true;
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        long backOffs = IdleStrategy.backOffs();
        idle.waitEnded(ago(MAX + 10 * IdleStrategy.PREEMPTED_NANOS), false);
        assertThat(idle.spin(ago(MAX + 10 * IdleStrategy.PREEMPTED_NANOS))).isFalse(); // the spin is over
        assertThat(IdleStrategy.backOffs()).isEqualTo(backOffs);
        assertThat(IdleStrategy.spinFor(Duration.ofNanos(MAX)).currentSpinNanos()).isEqualTo(MAX);
    }

    @Test
    void aCollectionIsSeenWhenItEndedWithinTheWindow() {
        System.gc(); // one collection has ended, just now
        assertThat(REAL_COLLECTIONS.test(60_000_000_000L)).as("a GC ended within the last minute").isTrue();
    }

    @Test
    void noSpinNeverSpinsAndLearnsNothing() {
        IdleStrategy none = IdleStrategy.spinFor(Duration.ZERO);
        assertThat(none).isSameAs(IdleStrategy.NO_SPIN);
        none.waitEnded(ago(0), true);
        assertThat(none.spin(System.nanoTime())).isFalse();
        assertThat(none.currentSpinNanos()).isZero();
    }
}
