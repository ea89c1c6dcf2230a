package io.loopbridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class SmokeTest {
    @Test
    void tasksInterleave() throws Exception {
        List<String> log = new ArrayList<>();
        String r = Aio.run(() -> {
            Task<Integer> a = Aio.createTask(() -> { log.add("a1"); Aio.sleep(Duration.ZERO); log.add("a2"); return 1; });
            Task<Integer> b = Aio.createTask(() -> { log.add("b1"); Aio.sleep(Duration.ofMillis(10)); log.add("b2"); return 2; });
            log.add("main");
            int x = a.await() + b.await();
            return "sum" + x;
        });
        assertThat(r).isEqualTo("sum3");
        assertThat(log).containsExactly("main", "a1", "b1", "a2", "b2");
        System.out.println("engine=" + Engine.INSTANCE.name());
        assertThat(Engine.INSTANCE.name()).isEqualTo(System.getProperty("loopbridge.expectedEngine", Engine.INSTANCE.name()));
    }

    @Test
    void manyTasks() throws Exception {
        int n = Aio.run(() -> {
            List<Task<Integer>> ts = new ArrayList<>();
            for (int i = 0; i < 10000; i++) { int k = i; ts.add(Aio.createTask(() -> { Aio.sleep(Duration.ZERO); return k; })); }
            int s = 0; for (Task<Integer> t : ts) s += t.await();
            return s;
        });
        assertThat(n).isEqualTo(10000 * 9999 / 2);
    }
}
