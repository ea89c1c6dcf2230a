package io.loopbridge.core.sync;

import static io.loopbridge.testing.Coroutines.yieldOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LoopQueue against CPython's asyncio.Queue, LifoQueue, PriorityQueue (checked with python3). */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopQueueTest {
    static List<Integer> drain(LoopQueue<Integer> q) {
        List<Integer> out = new ArrayList<>();
        while (!q.isEmpty()) {
            out.add(q.getNowait());
        }
        return out;
    }

    @Test
    void fifoLifoAndPriorityOrder() throws Exception {
        Aio.run(() -> {
            LoopQueue<Integer> fifo = LoopQueue.fifo(0);
            LoopQueue<Integer> lifo = LoopQueue.lifo(0);
            LoopQueue<Integer> prio = LoopQueue.priority(0, null);
            LoopQueue<Integer> reversed = LoopQueue.priority(0, Comparator.reverseOrder());
            for (int x : new int[] {3, 1, 2}) {
                fifo.putNowait(x);
                lifo.putNowait(x);
                prio.putNowait(x);
                reversed.putNowait(x);
            }
            assertThat(drain(fifo)).containsExactly(3, 1, 2);
            assertThat(drain(lifo)).containsExactly(2, 1, 3);
            assertThat(drain(prio)).containsExactly(1, 2, 3);
            assertThat(drain(reversed)).containsExactly(3, 2, 1);
            return null;
        });
    }

    @Test
    void nowaitFailsWhenFullOrEmpty() throws Exception {
        Aio.run(() -> {
            LoopQueue<String> q = LoopQueue.fifo(1);
            q.putNowait("a");
            assertThat(q.isFull()).isTrue();
            assertThatThrownBy(() -> q.putNowait("b")).isInstanceOf(QueueFullException.class);
            assertThat(q.size()).isEqualTo(1);
            assertThat(q.getNowait()).isEqualTo("a");
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueEmptyException.class);
            assertThat(LoopQueue.fifo(0).isFull()).isFalse();
            assertThatThrownBy(() -> q.putNowait(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }

    @Test
    void putWaitsWhileFullAndGetWaitsWhileEmpty() throws Exception {
        Aio.run(() -> {
            LoopQueue<String> q = LoopQueue.fifo(1);
            q.put("a");
            Task<Void> p = Aio.createTask(() -> {
                q.put("b");
                return null;
            });
            yieldOnce();
            assertThat(p.isDone()).isFalse();
            assertThat(q.getNowait()).isEqualTo("a");
            p.await();
            assertThat(q.size()).isEqualTo(1);
            assertThat(q.get()).isEqualTo("b");
            Task<String> g = Aio.createTask(q::get);
            yieldOnce();
            assertThat(g.isDone()).isFalse();
            q.putNowait("c");
            assertThat(g.await()).isEqualTo("c");
            return null;
        });
    }

    @Test
    void aGetterCancelledAfterWakeUpPassesTheItemOn() throws Exception {
        Aio.run(() -> {
            LoopQueue<String> q = LoopQueue.fifo(0);
            Task<String> g1 = Aio.createTask(q::get);
            Task<String> g2 = Aio.createTask(q::get);
            yieldOnce();
            q.putNowait("x"); // wakes g1 ...
            g1.cancel();      // ... cancelled before it resumes
            assertThatThrownBy(g1::await).isInstanceOf(CancellationException.class);
            assertThat(g2.await()).isEqualTo("x");
            assertThat(q.isEmpty()).isTrue();
            return null;
        });
    }

    @Test
    void aGetterCancelledBeforeWakeUpIsSkipped() throws Exception {
        Aio.run(() -> {
            LoopQueue<String> q = LoopQueue.fifo(0);
            Task<String> g1 = Aio.createTask(q::get);
            Task<String> g2 = Aio.createTask(q::get);
            yieldOnce();
            g1.cancel();
            yieldOnce();
            q.putNowait("x");
            assertThat(g2.await()).isEqualTo("x");
            return null;
        });
    }

    @Test
    void aPutterCancelledAfterWakeUpPassesTheSlotOn() throws Exception {
        Aio.run(() -> {
            LoopQueue<Integer> q = LoopQueue.fifo(1);
            q.putNowait(0);
            Task<Void> p1 = Aio.createTask(() -> {
                q.put(1);
                return null;
            });
            Task<Void> p2 = Aio.createTask(() -> {
                q.put(2);
                return null;
            });
            yieldOnce();
            q.getNowait(); // wakes p1 ...
            p1.cancel();   // ... cancelled before it resumes
            assertThatThrownBy(p1::await).isInstanceOf(CancellationException.class);
            p2.await();
            assertThat(drain(q)).containsExactly(2);
            return null;
        });
    }

    @Test
    void joinWaitsUntilEveryItemIsMarkedDone() throws Exception {
        Aio.run(() -> {
            LoopQueue<Integer> q = LoopQueue.fifo(0);
            q.join(); // nothing unfinished: returns at once
            for (int i = 0; i < 3; i++) {
                q.putNowait(i);
            }
            Task<Void> j = Aio.createTask(() -> {
                q.join();
                return null;
            });
            List<Boolean> doneAfter = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                q.getNowait();
                q.taskDone();
                yieldOnce();
                doneAfter.add(j.isDone());
            }
            assertThat(doneAfter).containsExactly(false, false, true);
            assertThatThrownBy(q::taskDone).isInstanceOf(IllegalStateException.class)
                    .hasMessage("taskDone() called too many times");
            return null;
        });
    }

    @Test
    void canBeFilledBeforeTheLoopRuns() throws Exception {
        LoopQueue<String> q = LoopQueue.fifo(2);
        q.putNowait("early");
        assertThat(Aio.run(q::get)).isEqualTo("early");
        assertThat(q.maxSize()).isEqualTo(2);
    }
}
