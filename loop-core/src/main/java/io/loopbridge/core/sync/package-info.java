/**
 * asyncio's synchronisation primitives and queues for coroutines of one loop:
 * {@link io.loopbridge.core.sync.LoopLock}, {@link io.loopbridge.core.sync.LoopEvent},
 * {@link io.loopbridge.core.sync.LoopCondition}, {@link io.loopbridge.core.sync.LoopSemaphore},
 * {@link io.loopbridge.core.sync.LoopBoundedSemaphore}, {@link io.loopbridge.core.sync.LoopBarrier},
 * {@link io.loopbridge.core.sync.LoopQueue}.
 *
 * <p>Each waits by awaiting a {@link io.loopbridge.core.LoopFuture} of its loop, as asyncio's do; none blocks
 * a thread. A primitive binds to the first loop that makes a task wait on it ({@code LoopBound}) and fails
 * fast when used from another loop or thread afterwards. Read {@code LoopLock} first: the others follow its
 * pattern (a FIFO of waiter futures, a waker that skips cancelled ones).
 */
package io.loopbridge.core.sync;
