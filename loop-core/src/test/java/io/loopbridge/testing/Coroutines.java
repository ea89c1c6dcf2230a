package io.loopbridge.testing;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import java.time.Duration;

/** Shared test fixture: small coroutines the combinator and sync tests build their scenarios from. */
public final class Coroutines {
    private Coroutines() {
    }

    /** Returns {@code value} after sleeping {@code millis}. */
    public static <T> Coroutine<T> after(long millis, T value) {
        return () -> Aio.sleep(Duration.ofMillis(millis), value);
    }

    /** Throws {@code e} after sleeping {@code millis}. */
    public static Coroutine<Integer> failAfter(long millis, RuntimeException e) {
        return () -> {
            Aio.sleep(Duration.ofMillis(millis));
            throw e;
        };
    }

    /** {@code await asyncio.sleep(0)}: lets every ready callback run once. Inside a coroutine. */
    public static void yieldOnce() throws Exception {
        Aio.sleep(Duration.ZERO);
    }
}
