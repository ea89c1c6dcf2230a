package io.loopbridge.bridge;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How a {@link LoopPool} picks the member for a piece of work: Netty's {@code EventExecutorChooser}. The
 * pool's {@link LoopPool.Selection} chooses the strategy of {@link LoopPool#next()}; {@link ByKey} serves
 * {@link LoopPool#loopFor(Object)}. Every strategy skips a dead member. Any thread: called concurrently.
 */
sealed interface LoopChooser permits LoopChooser.RoundRobin, LoopChooser.LeastLoaded, LoopChooser.ByKey {
    /** The member for the next piece of work among {@code slots} (the pool's members in slot order), or null if none is alive. */
    PooledLoop choose(PooledLoop[] slots);

    /** The strategy {@code selection} names, with its own state. */
    static LoopChooser of(LoopPool.Selection selection) {
        return switch (selection) {
            case ROUND_ROBIN -> new RoundRobin();
            case LEAST_LOADED -> new LeastLoaded();
        };
    }

    /** The first live member from {@code start} on, wrapping around, or null. */
    private static PooledLoop firstLive(PooledLoop[] slots, int start) {
        for (int i = 0; i < slots.length; i++) {
            PooledLoop m = slots[(start + i) % slots.length];
            if (!m.dead) {
                return m;
            }
        }
        return null;
    }

    /** Each live member in turn. */
    final class RoundRobin implements LoopChooser {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public PooledLoop choose(PooledLoop[] slots) {
            return firstLive(slots, Math.floorMod(next.getAndIncrement(), slots.length));
        }
    }

    /**
     * The live member with the fewest callbacks waiting (inbox + ready queue, a snapshot at most one iteration
     * old); ties go round robin.
     */
    final class LeastLoaded implements LoopChooser {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public PooledLoop choose(PooledLoop[] slots) {
            int n = slots.length;
            int start = Math.floorMod(next.getAndIncrement(), n);
            PooledLoop best = null;
            long bestLoad = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                PooledLoop m = slots[(start + i) % n];
                long load = m.loop.stats().inboxCount() + m.loop.stats().readyCount();
                if (!m.dead && load < bestLoad) {
                    best = m;
                    bestLoad = load;
                }
            }
            return best;
        }
    }

    /**
     * The member of {@code key}'s slot: the same key reaches the same slot while the pool lives (a dead
     * member's keys go to the next live slot, or stay with its replacement). For per-key ordering and state.
     */
    record ByKey(Object key) implements LoopChooser {
        @Override
        public PooledLoop choose(PooledLoop[] slots) {
            int h = key.hashCode();
            return firstLive(slots, Math.floorMod(h ^ (h >>> 16), slots.length));
        }
    }
}
