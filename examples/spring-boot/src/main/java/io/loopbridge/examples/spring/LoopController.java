package io.loopbridge.examples.spring;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Returns the pool's {@link CompletableFuture}s as they are: Spring MVC answers the request when the coroutine ends,
 * and the servlet thread is free meanwhile.
 */
@RestController
public class LoopController {
    private final LoopPool pool;

    /** The controller over the starter's pool. */
    public LoopController(LoopPool pool) {
        this.pool = pool;
    }

    /** A coroutine that awaits a sleep on a loop. */
    @GetMapping("/sleep")
    public CompletableFuture<String> sleep(@RequestParam(name = "ms", defaultValue = "100") long ms) {
        return pool.submit(() -> Aio.sleep(Duration.ofMillis(ms), "slept " + ms + " ms"));
    }

    /** One coroutine gathers {@code n} children that each sleep {@code ms}: about {@code ms} in all, not n times. */
    @GetMapping("/fanout")
    public CompletableFuture<String> fanout(@RequestParam(name = "n", defaultValue = "100") int n,
                                            @RequestParam(name = "ms", defaultValue = "100") long ms) {
        return pool.submit(() -> {
            List<Coroutine<Integer>> children = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int child = i;
                children.add(() -> Aio.sleep(Duration.ofMillis(ms), child));
            }
            List<Integer> done = Aio.<Integer>gather(children).await();
            return done.size() + " children slept " + ms + " ms";
        });
    }
}
