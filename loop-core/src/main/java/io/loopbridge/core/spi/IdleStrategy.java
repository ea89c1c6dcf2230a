package io.loopbridge.core.spi;

import com.sun.management.GcInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

/**
 * How long a thread that waits for something polls before it parks: one policy for every spin-then-park in
 * loopbridge (an idle loop polling its inbox, a caller blocked on a bridge future, the fallback engine's
 * handoff), in the spirit of Agrona's {@code IdleStrategy}. Each waiting site has its own instance
 * ({@link #fresh()}), because each learns.
 *
 * <p>Waking a parked thread costs the waker a system call and the sleeper the scheduler's latency: tens of
 * microseconds on an idle virtual CPU, more than a whole round trip between two busy threads. A wait that ends
 * within the spin pays neither; a wait that does not wasted the spin's CPU, and on a machine with no idle CPU a
 * spin takes the CPU from the very thread that would end the wait. So the spin is adaptive and never spins
 * where it cannot pay:
 * <ul>
 *   <li>its budget grows (doubles) after a wait that a spin caught, or that a full spin would have caught, and
 *       halves after a wait that outlasted the longest spin: a site whose waits are long stops spinning;</li>
 *   <li>a spinner that finds it was descheduled in the middle of its spin (the clock jumped by more than
 *       {@value #PREEMPTED_NANOS} ns between two polls) asks why. If other processes leave this JVM less than
 *       one and a half CPUs (a spin pays only while the spinner and the thread that will wake it each have a
 *       CPU), the machine has none to spare: then no site in the JVM spins for {@value #BACK_OFF_NANOS} ns. A
 *       gap with CPUs to spare (a garbage collection's pause, a thread of this JVM, the hypervisor) stops
 *       nothing: a quiet 2-vCPU VM shows several such gaps a second, and a second without spinning after
 *       each cost 95 % of the bridge's round trips;</li>
 *   <li>with one CPU nothing ever spins.</li>
 * </ul>
 * The longest spin is 50 µs by default, or {@code -Dloopbridge.idleSpinNanos}; {@link #NO_SPIN} parks at once.
 *
 * <pre>{@code
 * long start = System.nanoTime();
 * boolean parked = false;
 * while (!ready()) {
 *     if (!idle.spin(start)) {
 *         LockSupport.park(this);       // the spin is spent: park (and be unparked by whoever makes it ready)
 *         parked = true;
 *     }
 * }
 * idle.waitEnded(start, parked);        // learn
 * }</pre>
 * Thread-safe: the learned budget is a heuristic, updated without locks; racing updates lose nothing that
 * matters.
 */
public final class IdleStrategy {
    /** A gap between two polls longer than this means the spinner was descheduled. */
    static final long PREEMPTED_NANOS = 250_000;
    /** How long nothing spins after a spinner was descheduled. */
    static final long BACK_OFF_NANOS = 1_000_000_000;
    /** The smallest step the budget grows by from zero. */
    private static final long GROW_STEP_NANOS = 1_000;
    private static final boolean ONE_CPU = Runtime.getRuntime().availableProcessors() < 2;
    private static final long DEFAULT_SPIN_NANOS = Long.getLong("loopbridge.idleSpinNanos", 50_000);

    private static final VarHandle NO_SPIN_UNTIL;

    static {
        try {
            NO_SPIN_UNTIL = MethodHandles.lookup().findStaticVarHandle(IdleStrategy.class, "noSpinUntil", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** JVM-wide: System.nanoTime() before which nothing spins (a spinner met a machine with no CPU to spare). */
    @SuppressWarnings("unused") // through NO_SPIN_UNTIL
    private static volatile long noSpinUntil = System.nanoTime();

    /**
     * Whether a garbage collection ended within the last {@code nanos}: its pause stops a spinner as surely as a
     * busy machine does. Asked only when a spinner finds a gap, which is rare. Replaced by tests.
     */
    static LongPredicate collectionEndedWithin = IdleStrategy::collectionEndedWithin;

    private static boolean collectionEndedWithin(long nanos) {
        long windowMillis = nanos / 1_000_000 + 1; // GcInfo's clock is in milliseconds
        long uptime = Beans.RUNTIME.getUptime();
        for (com.sun.management.GarbageCollectorMXBean gc : Beans.COLLECTORS) {
            GcInfo last = gc.getLastGcInfo();
            if (last != null && uptime - last.getEndTime() <= windowMillis) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether other processes leave this JVM less than one and a half CPUs, over the time since the last time
     * this was asked (the operating system's counters, read only when a spinner finds a gap). When the
     * figures are unavailable the answer is yes: back off, as before they were asked. Replaced by tests.
     */
    static BooleanSupplier noCpuToSpare = IdleStrategy::noCpuToSpare;
    /** Fewer CPUs than this left by other processes: the spinner and its waker cannot both have one. */
    private static final double CPUS_A_SPIN_NEEDS = 1.5;
    /** The operating system's CPU figures are asked at most once per this many nanoseconds. */
    static final long CPU_WINDOW_NANOS = 100_000_000;
    private static volatile long cpusAskedAt = System.nanoTime() - CPU_WINDOW_NANOS;
    private static volatile boolean noCpuToSpareLately;

    private static boolean noCpuToSpare() {
        long now = System.nanoTime();
        if (now - cpusAskedAt < CPU_WINDOW_NANOS) {
            return noCpuToSpareLately; // a shorter window than the counters' ticks would tell nothing
        }
        cpusAskedAt = now;
        boolean answer = askTheOperatingSystem();
        noCpuToSpareLately = answer;
        return answer;
    }

    private static boolean askTheOperatingSystem() {
        double machine = Beans.OS.getCpuLoad(); // both: the fraction of all CPUs since the previous call
        double process = Beans.OS.getProcessCpuLoad();
        if (!(machine >= 0 && process >= 0)) {
            return true;
        }
        int cpus = Beans.OS.getAvailableProcessors();
        double others = Math.max(0, machine - process) * cpus;
        return cpus - others < CPUS_A_SPIN_NEEDS;
    }

    /** The platform beans asked at a gap: loaded at the first gap, not by every JVM that loads this class. */
    private static final class Beans {
        static final com.sun.management.OperatingSystemMXBean OS = ManagementFactory
                .getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
        static final RuntimeMXBean RUNTIME = ManagementFactory.getRuntimeMXBean();
        static final List<com.sun.management.GarbageCollectorMXBean> COLLECTORS = ManagementFactory
                .getPlatformMXBeans(com.sun.management.GarbageCollectorMXBean.class);
    }

    /** How many times a spinner found itself descheduled and stopped the JVM's spinning. */
    private static final java.util.concurrent.atomic.LongAdder BACK_OFFS = new java.util.concurrent.atomic.LongAdder();

    /** Parks at once. */
    public static final IdleStrategy NO_SPIN = new IdleStrategy(0);

    private final long maxNanos;
    /** The spin the next wait gets: learned, between 0 and {@link #maxNanos}. Plain racy updates. */
    private volatile long budgetNanos;

    private IdleStrategy(long maxNanos) {
        if (maxNanos < 0) {
            throw new IllegalArgumentException("idle spin must not be negative: " + maxNanos + " ns");
        }
        this.maxNanos = maxNanos;
        this.budgetNanos = maxNanos;
    }

    /** The default policy (up to 50 µs, or {@code -Dloopbridge.idleSpinNanos}), with its own learning. */
    public static IdleStrategy adaptive() {
        return DEFAULT_SPIN_NANOS == 0 ? NO_SPIN : new IdleStrategy(DEFAULT_SPIN_NANOS);
    }

    /** Spins for up to {@code spin} before parking, adapting below it ({@link Duration#ZERO}: {@link #NO_SPIN}). */
    public static IdleStrategy spinFor(Duration spin) {
        long nanos = Checks.saturatedNanos(Checks.requireNonNegative(spin, "spin"));
        return nanos == 0 ? NO_SPIN : new IdleStrategy(nanos);
    }

    /** The same policy for another waiting site: same longest spin, its own learning. */
    public IdleStrategy fresh() {
        return maxNanos == 0 ? NO_SPIN : new IdleStrategy(maxNanos);
    }

    /** The longest a wait spins before its caller parks. */
    public long spinNanos() {
        return maxNanos;
    }

    /** What the next wait may spin now (learned; 0 while the machine has no CPU to spare). */
    public long currentSpinNanos() {
        return System.nanoTime() - (long) NO_SPIN_UNTIL.getOpaque() < 0 ? 0 : budgetNanos;
    }

    /**
     * One round of a wait that began at {@code startNanos} ({@link System#nanoTime()}): spins briefly and
     * returns true while the wait is within its spin, false once the caller should park.
     */
    public boolean spin(long startNanos) {
        return spin(startNanos, Long.MAX_VALUE);
    }

    /** As {@link #spin(long)}, with the spin cut to {@code limitNanos} when that is shorter (a deadline). */
    public boolean spin(long startNanos, long limitNanos) {
        long budget = Math.min(budgetNanos, limitNanos);
        if (budget <= 0 || ONE_CPU) {
            return false;
        }
        long now = System.nanoTime();
        long elapsed = now - startNanos;
        if (elapsed >= budget) {
            if (elapsed - budget > PREEMPTED_NANOS) {
                backOff(startNanos, now); // the spin's last poll came long after the one before it
            }
            return false;
        }
        if (now - (long) NO_SPIN_UNTIL.getOpaque() < 0) {
            return false;
        }
        Thread.onSpinWait();
        return true;
    }

    /**
     * The wait that began at {@code startNanos} is over; {@code parked} says whether it had to park. Adapts the
     * spin of the waits to come (see the class comment).
     */
    public void waitEnded(long startNanos, boolean parked) {
        if (maxNanos == 0) {
            return;
        }
        long now = System.nanoTime();
        long waited = now - startNanos;
        long budget = budgetNanos;
        if (!parked && waited - budget > PREEMPTED_NANOS) {
            backOff(startNanos, now); // caught, but only after being descheduled in the middle of the spin
        } else if (waited <= maxNanos) {
            if (budget != maxNanos) { // a site shared by many threads (the bridge's callers) is not written for nothing
                budgetNanos = Math.min(maxNanos, 2 * budget + GROW_STEP_NANOS); // a spin caught it, or would have
            }
        } else if (budget != 0) {
            budgetNanos = budget < 2 * GROW_STEP_NANOS ? 0 : budget / 2; // longer than any spin: spin less
        }
    }

    /** The learned budget, whatever the machine's state. */
    long budgetNanos() {
        return budgetNanos;
    }

    /**
     * The wait that began at {@code startNanos} found a gap at {@code now}: stop spinning if the machine has no CPU
     * to spare, unless a GC explains the gap.
     */
    private static void backOff(long startNanos, long now) {
        if (collectionEndedWithin.test(now - startNanos) || !noCpuToSpare.getAsBoolean()) {
            return; // a collection's pause, or CPUs to spare: not a sign of a busy machine
        }
        NO_SPIN_UNTIL.setOpaque(now + BACK_OFF_NANOS);
        BACK_OFFS.increment();
    }

    /**
     * How many times, so far in this JVM, a spinner found it had been descheduled mid-spin and stopped all spinning
     * for a while: a count that grows while the machine has no CPU to spare. Any thread.
     */
    public static long backOffs() {
        return BACK_OFFS.sum();
    }

    /** Ends a back-off now (for the tests that cause one on purpose). */
    static void endBackOff() {
        NO_SPIN_UNTIL.setOpaque(System.nanoTime());
    }

    @Override
    public String toString() {
        return "IdleStrategy[spin up to " + maxNanos + " ns (now " + budgetNanos + "), then park]";
    }
}
