/**
 * Everything that crosses between ordinary threads and event loops.
 *
 * <ul>
 *   <li>{@link io.loopbridge.bridge.LoopPool}: event loops on their own platform threads, for a server to
 *   embed; {@code submit}, {@code execute}, {@code asExecutorService()}, graceful shutdown. Behind the façade:
 *   {@code PoolMembers} (the members, the pool's state), {@code PooledLoop} (one member: its loop, its thread,
 *   its drain), {@code LoopChooser}, {@code Termination}, {@code PoolSettings} (the builder's values and
 *   checks), {@code JvmShutdownHook}.
 *   <li>{@link io.loopbridge.bridge.Bridge}: the doors. From any thread into a loop:
 *   {@code runCoroutineThreadsafe} and {@code callSoonThreadsafe} → {@code CompletableFuture};
 *   {@code toCompletableFuture(loopFuture)}. From a coroutine out to threads and other loops:
 *   {@code wrapFuture}, {@code toThread}, {@code runInExecutor}, {@code runOn}.
 *   <li>{@link io.loopbridge.bridge.ContextPropagator}: the submitter's MDC (or tracing context) inside the work.
 * </ul>
 *
 * <h2>The invariant</h2>
 * Every {@code CompletableFuture} handed out here completes: with the result, the exception (the same
 * object), or a cancellation; with a {@code RejectedExecutionException} if its loop closed (or its pool
 * refused it while shutting down) before the work started; with an {@code IllegalStateException} caused by
 * the {@code Error} if its pool loop's thread died. A submission refused at the call throws
 * {@code RejectedExecutionException} instead of returning a future. This rests on one core rule: a loop that
 * closes runs (on the closing thread) whatever it owes an answer to: done-callbacks of its futures and
 * {@code callSoonThreadsafe(callback, onDropped)} submissions (and {@code LoopSpi.Droppable}s given to
 * {@code execute}, as the bridge's own are).
 *
 * <h2>Threads</h2>
 * A bridge future is completed on its loop's thread (or the thread closing the loop), so its non-async
 * dependents run there and must not block; use the {@code ...Async(fn, executor)} variants for blocking
 * dependents. Blocking work started from a coroutine goes to the loop's default executor
 * ({@code Bridge.toThread}); since {@code EventLoop} (in loop-core) knows nothing of executors, the bridge
 * attaches one to each loop that asks (a typed per-loop attachment, {@code LoopSpi}), and shuts it down when
 * the loop closes ({@code Bridge.shutdownDefaultExecutor(loop)} shuts it down earlier).
 *
 * <h2>Per-loop state, not global state</h2>
 * What the bridge knows about a loop travels with the loop: the pool member owning it (so that a
 * {@code Bridge} call given a pool's loop obeys the pool's shutdown, bound and counters), its default
 * executor, and, for a loop whose thread died, the recorded close cause that fails its pending work. A pool
 * carries its own {@code ContextPropagator} ({@code LoopPool.Builder.contextPropagator}, by default the one
 * {@code Bridge.setContextPropagator} installed when the pool was built).
 */
package io.loopbridge.bridge;
