/**
 * One event loop and everything that runs on it: asyncio's {@code base_events}, {@code futures},
 * {@code tasks} and the combinators.
 *
 * <h2>Reading order</h2>
 * <ol>
 *   <li>{@link io.loopbridge.core.Aio}: the module-level functions ({@code run}, {@code sleep},
 *   {@code gather}, {@code wait}, {@code waitFor}, timeouts, task groups) — where a user starts.
 *   <li>{@link io.loopbridge.core.EventLoop}: the loop's public façade, each job behind it a class of its own:
 *   {@code Scheduling} (where a handle goes: ready queue, inbox, timer heap); {@code Iteration}, whose
 *   {@code runOnce} is the only place callbacks are called: wait if idle, take the thread-safe submissions
 *   ({@code Inbox}), then the due timers ({@code TimerQueue}), then run what is ready; {@code Confinement} (the
 *   loop's thread and the checks of loop-only methods); {@code LoopClosing} (the close sequence).
 *   <li>{@link io.loopbridge.core.LoopFuture} and {@link io.loopbridge.core.Task}: a future's callbacks are
 *   always scheduled, never run inline; a task is a virtual thread whose steps run on the loop thread, one at
 *   a time ({@code Engine}: the fast engine makes the loop the thread's scheduler; the fallback hands the
 *   turn back and forth). {@code Task} draws its states.
 *   <li>The combinators, each asyncio's function of the same name: {@code Gather}, {@code AsCompleted},
 *   {@link io.loopbridge.core.Timeout}, {@link io.loopbridge.core.TaskGroup}.
 *   <li>The loop's parts: {@code Inbox} (many producers, the loop the one consumer; the idle wait and its
 *   wake-up), {@code TimerQueue}, {@code TaskRegistry}, {@code LoopErrors}, {@code DebugMode},
 *   {@code LoopResources}, {@link io.loopbridge.core.LoopStats} (the counters metrics read),
 *   {@link io.loopbridge.core.BlockedLoopChecker} (the watchdog).
 * </ol>
 *
 * <h2>Threads</h2>
 * A loop belongs to the platform thread that runs it; its tasks' coroutine steps count as that thread.
 * Everything not marked "Any thread." is loop-thread only and fails fast elsewhere with an
 * {@link java.lang.IllegalStateException} naming the thread-safe alternative. Other threads reach a loop
 * through {@link io.loopbridge.core.EventLoop#callSoonThreadsafe} (or the bridge module).
 */
package io.loopbridge.core;
