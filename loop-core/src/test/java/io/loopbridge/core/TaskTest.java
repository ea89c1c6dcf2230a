package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * asyncio.Task basics, each case checked against CPython 3.11 (the Python is in the comments; its output
 * is what the assertions expect).
 */
@Timeout(30)
class TaskTest {

    /*
     * log=[]; async def c(): log.append("child")
     * t = asyncio.create_task(c()); log.append("after create"); log.append(t.done())
     * await asyncio.sleep(0); log.append("after yield"); log.append(t.done())
     * -> ['after create', False, 'child', 'after yield', True]
     */
    @Test
    void taskDoesNotStartBeforeTheCreatorYields() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            Task<Void> t = Aio.createTask(() -> {
                log.add("child");
                return null;
            });
            log.add("after create");
            log.add(t.isDone());
            Aio.sleep(Duration.ZERO);
            log.add("after yield");
            log.add(t.isDone());
            return null;
        });
        assertThat(log).containsExactly("after create", false, "child", "after yield", true);
    }

    @Test
    void taskCreatedBeforeTheLoopRunsStartsWhenItRuns() throws Exception {
        EventLoop loop = EventLoop.create();
        try {
            List<String> log = new ArrayList<>();
            Task<String> t = loop.createTask(() -> {
                log.add("ran");
                return "v";
            });
            assertThat(log).isEmpty();
            assertThat(loop.runUntilComplete(t)).isEqualTo("v");
            assertThat(log).containsExactly("ran");
        } finally {
            loop.close();
        }
    }

    /* a = create_task(c()); b = create_task(c(), name="x"); b.set_name("y") -> Task-N x y */
    @Test
    void defaultNamesCountPerLoopAndNamesCanBeSetAndChanged() throws Exception {
        List<String> names = Aio.run(() -> {
            List<String> out = new ArrayList<>();
            out.add(Aio.currentTask().getName());
            Task<Void> a = Aio.createTask(() -> null);
            Task<Void> b = Aio.createTask("x", () -> null);
            Task<Void> c = Aio.getRunningLoop().createTask(() -> null);
            out.add(a.getName());
            out.add(b.getName());
            out.add(c.getName());
            b.setName("y");
            out.add(b.getName());
            out.add(b.toString());
            a.await();
            b.await();
            c.await();
            return out;
        });
        // A named task does not consume a number, as in CPython.
        assertThat(names).containsExactly("Task-1", "Task-2", "x", "Task-3", "y", "Task[y, pending]");
        assertThatThrownBy(() -> Aio.run(() -> {
            Aio.currentTask().setName(null);
            return null;
        })).isInstanceOf(NullPointerException.class);
    }

    /**
     * A default name is only a number until asked for, and the task's thread stays unnamed (no string per
     * task); a given name, or setName before the name was ever asked for, wins; numbering is per loop.
     */
    @Test
    void defaultNamesAreBuiltOnDemandAndTheirThreadsAreUnnamed() throws Exception {
        for (int run = 0; run < 2; run++) {
            List<String> out = Aio.run(() -> {
                Task<String> a = Aio.createTask(() -> Thread.currentThread().getName());
                Task<String> b = Aio.createTask(() -> Thread.currentThread().getName());
                Task<String> c = Aio.createTask("given", () -> Thread.currentThread().getName());
                b.setName("renamed-before-asked");
                List<String> names = new ArrayList<>();
                names.add(a.await());
                names.add(b.await());
                names.add(c.await());
                names.add(a.getName());
                names.add(b.getName());
                names.add(c.getName());
                names.add(Aio.createTask(() -> null).getName());
                return names;
            });
            // Task-1 is the main coroutine's; b keeps its number 3 though renamed; numbering starts anew per loop.
            assertThat(out).containsExactly("", "renamed-before-asked", "given",
                    "Task-2", "renamed-before-asked", "given", "Task-4");
        }
    }

    /** The name is built once, and every thread sees it: getName may be called anywhere. */
    @Test
    void aDefaultNameReadFromManyThreadsIsOneString() throws Exception {
        Task<?> task = Aio.run(() -> Aio.createTask(() -> null));
        List<Thread> readers = new ArrayList<>();
        String[] seen = new String[8];
        for (int i = 0; i < seen.length; i++) {
            int idx = i;
            readers.add(Thread.ofPlatform().start(() -> seen[idx] = task.getName()));
        }
        for (Thread t : readers) {
            t.join();
        }
        for (String s : seen) {
            assertThat(s).isEqualTo("Task-2").isSameAs(task.getName());
        }
    }

    /**
     * A virtual thread a coroutine starts is not the task (in the fast engine it inherits the task's scheduler,
     * which is how the task finds itself): no current task, no running loop there.
     */
    @Test
    void aVirtualThreadStartedByACoroutineHasNoCurrentTask() throws Exception {
        Throwable e = Aio.run(() -> {
            Task<?> self = Aio.currentTask();
            assertThat(self).isNotNull();
            Throwable[] out = new Throwable[1];
            Thread th = Thread.ofVirtual().start(() -> out[0] = catchThrowable(Aio::currentTask));
            assertThat(th.join(Duration.ofSeconds(10))).isTrue();
            assertThat(Aio.currentTask()).isSameAs(self);
            return out[0];
        });
        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("no running event loop");
    }

    @Test
    void setNameRenamesTheVirtualThreadSoThreadDumpsShowIt() throws Exception {
        String threadName = Aio.run(() -> {
            Aio.currentTask().setName("renamed");
            return Thread.currentThread().getName();
        });
        assertThat(threadName).isEqualTo("renamed");
    }

    /*
     * f = loop.create_future(); f.set_result(5)
     * async def other(): log.append("other")
     * create_task(other()); v = await f; log.append(("got", v)); await sleep(0); log.append("after sleep0")
     * -> [('got', 5), 'other', 'after sleep0']
     */
    @Test
    void awaitOfADoneFutureReturnsWithoutYielding() throws Exception {
        List<Object> log = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<Integer> f = Aio.getRunningLoop().createFuture();
            f.setResult(5);
            Aio.createTask(() -> log.add("other"));
            log.add("got " + f.await());
            Aio.sleep(Duration.ZERO);
            log.add("after sleep0");
            return null;
        });
        assertThat(log).containsExactly("got 5", "other", "after sleep0");
    }

    @Test
    void awaitInAPlainCallbackOnTheLoopThreadSaysWhatToUse() throws Exception {
        EventLoop loop = EventLoop.create();
        try {
            LoopFuture<Throwable> seen = loop.createFuture();
            LoopFuture<String> f = loop.createFuture();
            loop.callSoon(() -> seen.setResult(catchThrowable(f::await)));
            Throwable e = loop.runUntilComplete(seen);
            assertThat(e).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("await() called outside a coroutine")
                    .hasMessageContaining("addDoneCallback");
            assertThat(f.isDone()).isFalse();
        } finally {
            loop.close();
        }
    }

    @Test
    void awaitFromAnotherThreadSaysWhatToUse() throws Exception {
        EventLoop loop = EventLoop.create();
        try {
            LoopFuture<String> f = loop.createFuture();
            // Not running: the caller (this test thread) is not a coroutine.
            assertThatThrownBy(f::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a coroutine")
                    .hasMessageContaining("Bridge.toCompletableFuture");
            // Running on another thread: same answer, no hang.
            CountDownLatch running = new CountDownLatch(1);
            LoopFuture<String> release = loop.createFuture();
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    loop.runUntilComplete(() -> {
                        running.countDown();
                        return release.await();
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(running.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(f::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a coroutine");
            loop.callSoonThreadsafe(() -> release.setResult("done"));
            assertThat(runner.join(Duration.ofSeconds(10))).isTrue();
        } finally {
            loop.close();
        }
    }

    @Test
    void awaitingAFutureOfAnotherLoopPointsToBridgeWrapFuture() throws Exception {
        EventLoop other = EventLoop.builder().name("other-loop").build();
        try {
            LoopFuture<String> foreign = other.createFuture();
            Throwable e = Aio.run(() -> catchThrowable(foreign::await));
            assertThat(e).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another loop")
                    .hasMessageContaining("other-loop")
                    .hasMessageContaining("Bridge.wrapFuture");
            assertThat(foreign.isDone()).isFalse();
        } finally {
            other.close();
        }
    }

    @Test
    void aTaskAwaitingItselfFails() throws Exception {
        Throwable e = Aio.run(() -> catchThrowable(() -> Aio.currentTask().await()));
        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot await on itself");
    }

    /*
     * loop.call_soon(lambda: (log.append("cb1"), loop.call_soon(lambda: log.append("cb1-inner"))))
     * async def t(): log.append("t1"); await sleep(0); log.append("t2")
     * create_task(t()); loop.call_soon(lambda: log.append("cb2")); log.append("before")
     * await sleep(0); log.append("after"); await sleep(0); log.append("after2")
     * -> ['before', 'cb1', 't1', 'cb2', 'after', 'cb1-inner', 't2', 'after2']
     */
    @Test
    void sleepZeroYieldsOnceLettingEveryReadyCallbackRun() throws Exception {
        List<String> log = new ArrayList<>();
        Aio.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            loop.callSoon(() -> {
                log.add("cb1");
                loop.callSoon(() -> log.add("cb1-inner"));
            });
            Aio.createTask(() -> {
                log.add("t1");
                Aio.sleep(Duration.ZERO);
                log.add("t2");
                return null;
            });
            loop.callSoon(() -> log.add("cb2"));
            log.add("before");
            Aio.sleep(Duration.ZERO);
            log.add("after");
            Aio.sleep(Duration.ofNanos(-1)); // negative is zero, as in asyncio
            log.add("after2");
            return null;
        });
        assertThat(log).containsExactly("before", "cb1", "t1", "cb2", "after", "cb1-inner", "t2", "after2");
    }

    /* await asyncio.sleep(0.01, "r") -> 'r'; a timer-based sleep lets a shorter one finish first. */
    @Test
    void sleepWithAResultAndOrderingOfTimers() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        String r = Aio.run(() -> {
            Task<String> slow = Aio.createTask(() -> Aio.sleep(Duration.ofMillis(30), "slow"));
            Task<String> fast = Aio.createTask(() -> Aio.sleep(Duration.ofMillis(1), "fast"));
            slow.addDoneCallback(f -> log.add("slow"));
            fast.addDoneCallback(f -> log.add("fast"));
            long t0 = System.nanoTime();
            String both = slow.await() + "+" + fast.await();
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
            return both;
        });
        assertThat(r).isEqualTo("slow+fast");
        assertThat(log).containsExactly("fast", "slow");
        assertThatThrownBy(() -> Aio.run(() -> Aio.sleep(null, "x"))).isInstanceOf(NullPointerException.class);
    }

    @Test
    void sleepOutsideACoroutineFailsClearly() throws Exception {
        assertThatThrownBy(() -> Aio.sleep(Duration.ZERO)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
        EventLoop loop = EventLoop.create();
        try {
            LoopFuture<Throwable> seen = loop.createFuture();
            loop.callSoon(() -> seen.setResult(catchThrowable(() -> Aio.sleep(Duration.ofMillis(1)))));
            assertThat(loop.runUntilComplete(seen)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Aio.sleep() called outside a coroutine");
        } finally {
            loop.close();
        }
    }

    @Test
    void aCoroutinesExceptionIsTheTasksExceptionSameObjectCheckedIncluded() throws Exception {
        IOException boom = new IOException("boom");
        IllegalArgumentException bad = new IllegalArgumentException("bad");
        List<Throwable> seen = Aio.run(() -> {
            Task<String> t1 = Aio.createTask(() -> {
                Aio.sleep(Duration.ZERO);
                throw boom;
            });
            Task<String> t2 = Aio.createTask(() -> {
                throw bad;
            });
            List<Throwable> out = new ArrayList<>();
            out.add(catchThrowable(t1::await));
            out.add(t1.exception());
            out.add(catchThrowable(t1::result));
            out.add(catchThrowable(t2::await));
            return out;
        });
        assertThat(seen.get(0)).isSameAs(boom);
        assertThat(seen.get(1)).isSameAs(boom);
        assertThat(seen.get(2)).isSameAs(boom);
        assertThat(seen.get(3)).isSameAs(bad);
        assertThat(catchThrowable(() -> Aio.run(() -> {
            throw boom;
        }))).isSameAs(boom);
    }

    @Test
    void taskCannotBeCompletedFromOutside() throws Exception {
        Aio.run(() -> {
            Task<String> t = Aio.createTask(() -> "x");
            assertThatThrownBy(() -> t.setResult("y")).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> t.setException(new IOException())).isInstanceOf(UnsupportedOperationException.class);
            assertThat(t.await()).isEqualTo("x");
            return null;
        });
    }

    /*
     * async def c(): raise ValueError("lost")   # never awaited, task dropped
     * -> the loop's exception handler: "Task exception was never retrieved" with the task; not when
     *    t.exception() was called.
     */
    @Test
    void anUnretrievedTaskExceptionIsReportedWithTheTaskNameAndARetrievedOneIsNot() throws Exception {
        List<ErrorContext> reports = new CopyOnWriteArrayList<>();
        CountDownLatch sentinelReported = new CountDownLatch(1);
        EventLoop loop = EventLoop.builder().exceptionHandler((l, ctx) -> {
            reports.add(ctx);
            if (ctx.message().contains("sentinel")) {
                sentinelReported.countDown();
            }
        }).build();
        try {
            // First a failure that is retrieved: collected, never reported.
            WeakReference<Task<?>> retrieved = failAndDrop(loop, "retrieved", true);
            gcUntil(() -> retrieved.get() == null);
            // Then one nobody retrieves: reported when collected.
            failAndDrop(loop, "sentinel", false);
            loop.close(); // reports after close come straight to the handler on the collecting thread
            gcUntil(() -> sentinelReported.getCount() == 0);
            assertThat(reports).hasSize(1);
            assertThat(reports.get(0).message()).contains("Task exception was never retrieved").contains("sentinel");
            assertThat(reports.get(0).exception()).isInstanceOf(IllegalStateException.class).hasMessage("lost sentinel");
        } finally {
            loop.close();
        }
    }

    private static WeakReference<Task<?>> failAndDrop(EventLoop loop, String name, boolean retrieve) throws Exception {
        Task<Object> t = loop.createTask(name, () -> {
            throw new IllegalStateException("lost " + name);
        });
        loop.runUntilComplete(loop.createTask(() -> {
            Aio.sleep(Duration.ZERO);
            return null;
        }));
        assertThat(t.isDone()).isTrue();
        if (retrieve) {
            assertThat(t.exception()).hasMessage("lost " + name);
        }
        return new WeakReference<>(t);
    }

    static void gcUntil(java.util.function.BooleanSupplier done) throws InterruptedException {
        for (int i = 0; i < 500 && !done.getAsBoolean(); i++) {
            System.gc();
            Thread.sleep(10); // polls: gives the Cleaner thread its turn; bounded: 5 s at most
        }
        assertThat(done.getAsBoolean()).as("object collected and cleaned within the bound").isTrue();
    }

    @Test
    void currentTaskAllTasksAndRunningLoop() throws Exception {
        assertThatThrownBy(Aio::getRunningLoop).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
        assertThatThrownBy(Aio::currentTask).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(Aio::allTasks).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Aio.createTask(() -> null)).isInstanceOf(IllegalStateException.class);
        EventLoop loop = EventLoop.create();
        try {
            List<Object> log = new ArrayList<>();
            Task<String> main = loop.createTask("main", () -> {
                log.add(Aio.getRunningLoop() == loop);
                log.add(Aio.currentTask().getName());
                Task<String> child = Aio.createTask("child", () -> {
                    log.add("in child: " + Aio.currentTask().getName());
                    Aio.sleep(Duration.ofMillis(1));
                    return "c";
                });
                loop.callSoon(() -> {
                    log.add("callback current=" + Aio.currentTask());
                    log.add("callback loop ok=" + (Aio.getRunningLoop() == loop));
                    log.add("callback all=" + names(Aio.allTasks()));
                });
                log.add("all=" + names(Aio.allTasks()));
                child.await();
                log.add("after=" + names(Aio.allTasks()));
                return "m";
            });
            assertThat(loop.runUntilComplete(main)).isEqualTo("m");
            assertThat(loop.allTasks()).isEmpty();
            assertThat(log).containsExactly(true, "main", "all=[main, child]", "in child: child",
                    "callback current=null", "callback loop ok=true", "callback all=[main, child]", "after=[main]");
        } finally {
            loop.close();
        }
    }

    private static List<String> names(List<Task<?>> tasks) {
        return tasks.stream().map(Task::getName).toList();
    }

    @Test
    void getStackOfASuspendedTaskShowsTheCoroutinesLine() throws Exception {
        Aio.run(() -> {
            LoopFuture<Void> never = Aio.getRunningLoop().createFuture();
            Task<Void> t = Aio.createTask(() -> waitHere(never));
            Aio.sleep(Duration.ZERO);
            StackTraceElement[] stack = t.getStack();
            assertThat(Arrays.stream(stack).anyMatch(e -> e.getClassName().equals(TaskTest.class.getName())
                    && e.getMethodName().equals("waitHere") && e.getLineNumber() > 0))
                    .as(Arrays.toString(stack)).isTrue();
            assertThat(Arrays.stream(stack).anyMatch(e -> e.getMethodName().startsWith("lambda$getStackOf")))
                    .as(Arrays.toString(stack)).isTrue();
            t.cancel();
            assertThat(catchThrowable(t::await)).isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(t.getStack()).isEmpty();
            return null;
        });
    }

    private static Void waitHere(LoopFuture<Void> f) throws Exception {
        return f.await();
    }

    @Test
    void manyTasksEachAwaitingTheNextFinishInOrder() throws Exception {
        // A chain: task i awaits task i-1; completing the first resolves them all, one step each.
        int n = 2000;
        List<Integer> order = new ArrayList<>();
        Aio.run(() -> {
            LoopFuture<Integer> first = Aio.getRunningLoop().createFuture();
            LoopFuture<Integer> prev = first;
            List<Task<Integer>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                LoopFuture<Integer> p = prev;
                int k = i;
                Task<Integer> t = Aio.createTask(() -> {
                    int v = p.await() + 1;
                    order.add(k);
                    return v;
                });
                all.add(t);
                prev = t;
            }
            Aio.sleep(Duration.ZERO);
            first.setResult(0);
            assertThat(all.get(n - 1).await()).isEqualTo(n);
            return null;
        });
        for (int i = 0; i < n; i++) {
            assertThat(order.get(i)).isEqualTo(i);
        }
    }

    @Test
    void awaitFromAThreadTheCoroutineStartedIsNotACoroutine() throws Exception {
        Throwable e = Aio.run(() -> {
            LoopFuture<String> f = Aio.getRunningLoop().createFuture();
            Throwable[] out = new Throwable[1];
            Thread th = Thread.ofVirtual().start(() -> out[0] = catchThrowable(f::await));
            assertThat(th.join(Duration.ofSeconds(10))).isTrue();
            return out[0];
        });
        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("outside a coroutine");
    }

    @Test
    void createTaskArgumentsAreChecked() throws Exception {
        EventLoop loop = EventLoop.create();
        loop.close();
        assertThatThrownBy(() -> loop.createTask(() -> null))
                .isInstanceOf(java.util.concurrent.RejectedExecutionException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> Aio.run(() -> Aio.createTask(null))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Aio.run(null)).isInstanceOf(NullPointerException.class);
    }
}
