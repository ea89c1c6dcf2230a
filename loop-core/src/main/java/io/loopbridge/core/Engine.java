package io.loopbridge.core;

import io.loopbridge.core.spi.IdleStrategy;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a task's virtual thread gets its steps run on the loop thread. Chosen once per JVM.
 *
 * <ul>
 *   <li>{@link Fast}: the virtual thread's scheduler <em>is</em> the loop. Every time the JDK wants to run it
 *   (start, unpark, yield) it hands us its continuation, which we queue as the task's step; the loop thread
 *   mounts it directly. A JDK blocking call in the coroutine (sleep, socket I/O, a queue) parks the virtual
 *   thread and frees the loop. Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}, because the
 *   factory that takes a scheduler, {@code ThreadBuilders.newVirtualThread(Executor, ...)}, is not public.
 *   <li>{@link Handoff}: public APIs only. The virtual thread runs on the JDK's default scheduler, and the loop
 *   thread hands it the turn for one step and waits until it hands the turn back at its next suspension.
 *   Same order and semantics, slower (two thread switches per step); a JDK blocking call inside a coroutine
 *   holds the loop thread for its duration, as a blocking call does in asyncio.
 * </ul>
 * {@code -Dloopbridge.engine=fallback} forces the handoff engine (for comparisons).
 */
abstract sealed class Engine permits Engine.Fast, Engine.Handoff {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    static final Engine INSTANCE = select();

    /** "fast" or "fallback". */
    abstract String name();

    /**
     * The unstarted virtual thread that will run {@link Task#body()}. {@code name} is the task's given name,
     * or empty for a default-named task (its {@code Task-N} is only made on demand, see {@link Task#getName()}).
     */
    abstract Thread newThread(Task<?> task, String name);

    /** Queues the task's first step. */
    abstract void start(Task<?> task);

    /** Runs one step; called on the loop thread from the task's step handle. */
    abstract void runStep(Task<?> task);

    /** On the task's thread: park until {@link #resume}. */
    abstract void suspend(Task<?> task);

    /** Queues the task's next step. Loop thread (or after close, any thread). */
    abstract void resume(Task<?> task);

    /** On the task's thread: queue the next step behind everything ready, and suspend. */
    abstract void yieldNow(Task<?> task);

    /** On the task's thread, after the coroutine returned or threw. */
    abstract void finished(Task<?> task);

    /** The loop closed: let the task's thread run to its end off the loop. Any thread. */
    abstract void unwind(Task<?> task);

    /** The task's queued step was dropped by close(). */
    abstract void dropped(Task<?> task);

    abstract boolean interruptsBlockingCalls();

    private static Engine select() {
        String wanted = System.getProperty("loopbridge.engine", "fast");
        if (!wanted.equals("fallback")) {
            Throwable unavailable = Fast.UNAVAILABLE; // loads Fast, which looks up the JDK internals it needs
            if (unavailable == null) {
                log.info("loopbridge coroutine engine: fast (virtual threads scheduled by their event loop)");
                return new Fast();
            }
            log.info("loopbridge coroutine engine: fallback (virtual threads handing off to their event loop;"
                    + " a blocking JDK call in a coroutine holds the loop). For the fast engine run the JVM"
                    + " with --add-opens java.base/java.lang=ALL-UNNAMED ({})", unavailable.toString());
        } else {
            log.info("loopbridge coroutine engine: fallback (forced by -Dloopbridge.engine=fallback)");
        }
        return new Handoff();
    }

    /** Runs a continuation of a thread whose loop is gone. */
    static void runOffLoop(Runnable continuation) {
        ForkJoinPool.commonPool().execute(continuation);
    }

    // ------------------------------------------------------------------------------------------------

    static final class Fast extends Engine {
        /**
         * {@code ThreadBuilders.newVirtualThread(Executor scheduler, String name, int characteristics,
         * Runnable task)}, which {@code Thread.ofVirtual()}'s builder calls too: called directly, no builder is
         * made per task. Static finals, so that the JIT treats these handles as constants.
         */
        private static final MethodHandle NEW_VIRTUAL_THREAD;
        /** The {@code scheduler} field of {@code java.lang.VirtualThread}, as {@code (Thread) -> Executor}. */
        private static final MethodHandle SCHEDULER_OF;
        /** Why this engine cannot run in this JVM, or null if it can. */
        static final Throwable UNAVAILABLE;
        /**
         * {@code characteristics} as the builder passes them by default: 0 inherits inheritable thread locals
         * and the context class loader ({@code Thread.NO_INHERIT_THREAD_LOCALS} would not).
         */
        private static final int CHARACTERISTICS = 0;
        /**
         * Every task's thread body: it finds its task through its thread's scheduler, so one Runnable serves
         * every task and none is made per task.
         */
        private static final Runnable BODY = () -> currentTask().body();

        static {
            MethodHandle newVirtualThread = null, schedulerOf = null;
            Throwable unavailable = null;
            try {
                Class<?> builders = Class.forName("java.lang.ThreadBuilders");
                Method m = builders.getDeclaredMethod("newVirtualThread",
                        Executor.class, String.class, int.class, Runnable.class);
                m.setAccessible(true);
                newVirtualThread = MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(
                        Thread.class, Executor.class, String.class, int.class, Runnable.class));
                Field f = Class.forName("java.lang.VirtualThread").getDeclaredField("scheduler");
                f.setAccessible(true);
                schedulerOf = MethodHandles.lookup().unreflectGetter(f)
                        .asType(MethodType.methodType(Executor.class, Thread.class));
                // A JVM without continuations refuses a custom scheduler only when a thread is made (the
                // builder's constructor does not refuse it up front): make one, unstarted, and read it back.
                Executor probeScheduler = Runnable::run;
                Thread probe = (Thread) newVirtualThread.invokeExact(probeScheduler, (String) null,
                        CHARACTERISTICS, (Runnable) () -> { });
                if ((Executor) schedulerOf.invokeExact(probe) != probeScheduler) {
                    throw new IllegalStateException("VirtualThread.scheduler does not hold the scheduler");
                }
            } catch (Throwable e) {
                if (e instanceof Error error) {
                    throw error; // only a missing or inaccessible method (or a refusal) means fallback
                }
                newVirtualThread = null;
                schedulerOf = null;
                unavailable = e;
            }
            NEW_VIRTUAL_THREAD = newVirtualThread;
            SCHEDULER_OF = schedulerOf;
            UNAVAILABLE = unavailable;
        }

        @Override
        String name() {
            return "fast";
        }

        @Override
        Thread newThread(Task<?> task, String name) {
            try {
                // The task's step handle is the thread's scheduler (Task.Step#execute calls dispatch).
                return (Thread) NEW_VIRTUAL_THREAD.invokeExact((Executor) task.step, name, CHARACTERISTICS, BODY);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot create a loop-scheduled virtual thread", e);
            }
        }

        /**
         * The task whose virtual thread is the calling thread, or null. Its scheduler says so, which costs no
         * allocation: a ScopedValue lookup that finds a binding fills a new thread's 144-byte value cache first.
         * A virtual thread that a coroutine starts itself inherits the scheduler but is not the task's thread.
         */
        static Task<?> currentTask() {
            Thread t = Thread.currentThread();
            if (t.isVirtual()) {
                Executor scheduler;
                try {
                    scheduler = (Executor) SCHEDULER_OF.invokeExact(t);
                } catch (Throwable e) {
                    throw new IllegalStateException(e); // a field read; checked when the engine was chosen
                }
                if (scheduler instanceof Task.Step step && step.task.thread == t) {
                    return step.task;
                }
            }
            return null;
        }

        /**
         * The virtual thread's scheduler (via its task's {@link Task.Step}): the JDK calls this, on whatever
         * thread made the virtual thread runnable, with the same continuation each time. It must not throw.
         */
        static void dispatch(Task<?> task, Runnable continuation) {
            Runnable own = task.step.continuation;
            if (own != null && continuation != own) {
                // A virtual thread the coroutine started inherits its scheduler (the JDK's rule for threads
                // started by virtual threads). It is not the task: it must neither take the task's place in
                // the ready queue nor hold the loop thread, so it runs where plain virtual threads run.
                runOffLoop(continuation);
                return;
            }
            boolean first = own == null; // start(), called by the loop's owner
            task.step.continuation = continuation;
            if (!task.destroyed) {
                try {
                    task.loop.scheduling.enqueue(task.step, first);
                    return;
                } catch (RejectedExecutionException closed) {
                    // closed before the step was queued; a step queued and then dropped runs via dropped()
                }
            }
            runOffLoop(continuation);
        }

        @Override
        void start(Task<?> task) {
            task.thread.start(); // the JDK calls dispatch(), which queues the first step
        }

        @Override
        void runStep(Task<?> task) {
            task.step.continuation.run(); // mounts the virtual thread on this (the loop's) thread until it parks
        }

        @Override
        void suspend(Task<?> task) {
            if (task.step.resumed) {
                // Woken during its own step (it cancelled the future it awaits): still give up one turn,
                // queued now, where asyncio queues __wakeup.
                task.step.resumed = false;
                Thread.yield();
                return;
            }
            boolean interrupted = false;
            while (!task.step.resumed) {
                if (Thread.interrupted()) {
                    interrupted = true; // park() would return at once, forever: keep it for later
                    continue;
                }
                LockSupport.park(task);
            }
            task.step.resumed = false;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        void resume(Task<?> task) {
            task.step.resumed = true;
            if (Thread.currentThread() != task.thread) {
                LockSupport.unpark(task.thread); // the JDK then calls dispatch() from here
            }
        }

        @Override
        void yieldNow(Task<?> task) {
            Thread.yield(); // a virtual thread yields to its scheduler, which queues it behind the ready ones
        }

        @Override
        void finished(Task<?> task) {
        }

        @Override
        void unwind(Task<?> task) {
            resume(task);
            task.thread.interrupt(); // end a JDK blocking call now rather than at its own time
        }

        @Override
        void dropped(Task<?> task) {
            runOffLoop(task.step.continuation);
        }

        @Override
        boolean interruptsBlockingCalls() {
            return true;
        }
    }

    // ------------------------------------------------------------------------------------------------

    static final class Handoff extends Engine {
        @Override
        String name() {
            return "fallback";
        }

        @Override
        Thread newThread(Task<?> task, String name) {
            return Thread.ofVirtual().name(name).unstarted(task::runBound);
        }

        @Override
        void start(Task<?> task) {
            // The thread starts at the first step, already holding the turn: a task that is created but never
            // runs (closed loop) has no thread to unwind, and a suspended task's stack was frozen only once.
            task.loop.scheduling.enqueue(task.step, true);
        }

        @Override
        void runStep(Task<?> task) {
            boolean first = task.thread.getState() == Thread.State.NEW;
            task.step.taskTurn = true;
            if (first) {
                task.thread.start();
            } else {
                LockSupport.unpark(task.thread);
            }
            IdleStrategy idle = task.loop.idle;
            long spinStart = System.nanoTime();
            boolean parked = false;
            while (task.step.taskTurn) {
                parked |= pause(task, idle, spinStart);
            }
            idle.waitEnded(spinStart, parked);
        }

        /**
         * One wait for the turn, spinning first as the loop's {@link IdleStrategy} says: a step usually takes a
         * few microseconds, and a spin that outlasts it saves two wake-ups per step. Returns whether it parked.
         */
        private static boolean pause(Task<?> task, IdleStrategy idle, long spinStart) {
            if (idle.spin(spinStart)) {
                return false;
            }
            LockSupport.park(task);
            return true;
        }

        @Override
        void suspend(Task<?> task) {
            handBack(task);
            awaitTurn(task);
        }

        private static void awaitTurn(Task<?> task) {
            IdleStrategy idle = task.loop.idle;
            long spinStart = System.nanoTime();
            boolean parked = false;
            while (!task.step.taskTurn && !task.destroyed) {
                parked |= pause(task, idle, spinStart);
            }
            idle.waitEnded(spinStart, parked);
        }

        private static void handBack(Task<?> task) {
            task.step.taskTurn = false;
            LockSupport.unpark(task.loop.confinement.thread); // the thread running the loop runs the step
        }

        @Override
        void resume(Task<?> task) {
            if (task.destroyed) {
                unwind(task);
            } else {
                task.loop.scheduling.enqueue(task.step, false);
            }
        }

        @Override
        void yieldNow(Task<?> task) {
            task.loop.scheduling.enqueue(task.step, false);
            suspend(task);
        }

        @Override
        void finished(Task<?> task) {
            if (!task.destroyed) {
                handBack(task);
            }
        }

        @Override
        void unwind(Task<?> task) {
            task.step.taskTurn = true;
            LockSupport.unpark(task.thread);
        }

        @Override
        void dropped(Task<?> task) {
            unwind(task);
        }

        @Override
        boolean interruptsBlockingCalls() {
            return false;
        }
    }
}
