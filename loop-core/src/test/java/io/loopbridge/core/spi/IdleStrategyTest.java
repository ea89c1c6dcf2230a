package io.loopbridge.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one spin-then-park policy learns: it spins where spinning pays, and stops where it cannot. */
class IdleStrategyTest {
    private static final long MAX = 50_000;

    @AfterEach
    void endTheBackOffThisTestMayHaveCaused() {
        IdleStrategy.endBackOff(); // other tests in this JVM expect the machine's own state, not ours
        IdleStrategy.collectionEndedWithin = REAL_COLLECTIONS;
        IdleStrategy.noCpuToSpare = REAL_CPUS;
    }

    private static final java.util.function.LongPredicate REAL_COLLECTIONS = IdleStrategy.collectionEndedWithin;
    private static final java.util.function.BooleanSupplier REAL_CPUS = IdleStrategy.noCpuToSpare;

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
        IdleStrategy.noCpuToSpare = () -> true; // other processes take the CPUs
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

    /**
     * A gap while other processes leave CPUs to spare was a thread of this JVM, or the hypervisor: on a quiet
     * 2-vCPU VM a few such gaps a second stopped the spin for most of every second (W3 fell from ~750 k to 33 k
     * round trips/s).
     */
    @Test
    void aGapOnAMachineWithCpusToSpareStopsNothing() {
        IdleStrategy.collectionEndedWithin = window -> false;
        IdleStrategy.noCpuToSpare = () -> false;
        IdleStrategy idle = IdleStrategy.spinFor(Duration.ofNanos(MAX));
        long backOffs = IdleStrategy.backOffs();
        idle.waitEnded(ago(MAX + 10 * IdleStrategy.PREEMPTED_NANOS), false);
        assertThat(IdleStrategy.backOffs()).isEqualTo(backOffs);
        assertThat(IdleStrategy.spinFor(Duration.ofNanos(MAX)).currentSpinNanos()).isEqualTo(MAX);
    }

    /** The real question, asked of the operating system: one busy process per CPU leaves none to spare. */
    @Test
    void theMachineHasNoCpuToSpareWhileOtherProcessesKeepEveryCpuBusy() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Process> hogs = new ArrayList<>();
        try {
            for (int i = 0; i < cpus; i++) {
                hogs.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
            }
            REAL_CPUS.getAsBoolean(); // each answer covers the time since the one before
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean busy = false;
            while (!busy && System.nanoTime() < deadline) {
                // Not a wait for another thread: the operating system's counters need time to pass between two
                // questions (an answer covers the window since the last one, at most one per window).
                LockSupport.parkNanos(2 * IdleStrategy.CPU_WINDOW_NANOS);
                busy = REAL_CPUS.getAsBoolean();
            }
            assertThat(busy).as("%d busy processes on %d CPUs leave none to spare", cpus, cpus).isTrue();
        } finally {
            hogs.forEach(Process::destroyForcibly);
        }
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
