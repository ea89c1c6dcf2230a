package io.loopbridge.core;

import io.loopbridge.core.spi.LoopSpi;
import java.util.List;

/**
 * How a loop closes (asyncio's {@code loop.close}, and the answers it owes): its I/O first, then the timers,
 * the pending tasks destroyed, the ready callbacks and the inbox dropped (each handle told), each pending task
 * reported and unwound, and the close hooks. Each step runs even if the one before it failed. Also what
 * runs on a closed loop: a dropped handle, a done-callback of a future completed after close. Runs on the
 * closing thread.
 */
final class LoopClosing {
    private final EventLoop loop;

    LoopClosing(EventLoop loop) {
        this.loop = loop;
    }

    /** {@link EventLoop#close()}. */
    void close() {
        Confinement confinement = loop.confinement;
        if (confinement.thread != null) {
            throw new IllegalStateException("Cannot close a running event loop ('" + loop.name() + "')");
        }
        if (confinement.closed) {
            return;
        }
        LoopIo.Driver io = loop.io;
        if (io != null) {
            io.checkCanClose();
            // While the loop is still open: what the channels' close callbacks schedule is dropped below.
            step("closing its I/O", io::close);
        }
        confinement.closed = true;
        // The timers go first, before anything below lets a coroutine unwind off the loop: an unwinding sleep
        // cancels its timer, and once the loop is closed that no longer touches the heap.
        step("clearing the timers", loop.timers::clear);
        // Then destroyed: whatever is dropped below may resume a task's thread elsewhere, and it must find its
        // task destroyed.
        List<Task<?>> pending = loop.tasks.drain();
        for (Task<?> t : pending) {
            t.destroyed = true;
        }
        step("dropping the ready callbacks", () -> {
            Object h;
            while ((h = loop.ready.poll()) != null) {
                drop(h);
            }
        });
        step("dropping the inbox", loop.inbox::dropAll);
        for (Task<?> t : pending) {
            loop.errors.reportFromAnyThread(new ErrorContext("Task was destroyed but it is pending!", null, t, null));
            step("destroying " + t, t::destroy);
        }
        loop.resources.runCloseHooks();
    }

    /** {@link EventLoop#close()} of a loop whose thread died of {@code cause}; see {@code LoopSpi.close}. */
    void close(Throwable cause) {
        if (loop.confinement.thread == null && !loop.confinement.closed) {
            loop.resources.setCloseCause(cause); // before anything is dropped: whoever is told can ask why
        }
        loop.close();
    }

    /**
     * One step of close(). A dead loop may have left any state behind; a step that fails on it is reported,
     * and the steps after it still run: every handle is told and every task destroyed, whatever happened.
     */
    private void step(String step, Runnable action) {
        try {
            action.run();
        } catch (Throwable e) {
            loop.callExceptionHandler(ErrorContext.of("Exception while closing event loop '" + loop.name() + "': " + step, e));
        }
    }

    /**
     * Tells {@code h} (a handle, or a bare Runnable of {@code execute}) it will never run, if it is owed
     * that: a handle, a {@link LoopSpi.Droppable}. An error goes to the exception handler.
     */
    void drop(Object h) {
        try {
            if (h instanceof Handle handle) {
                handle.dropped();
            } else if (h instanceof LoopSpi.Droppable d) {
                d.dropped();
            }
        } catch (Throwable e) {
            loop.callExceptionHandler(h instanceof Handle handle
                    ? new ErrorContext("Exception while dropping " + handle, e, null, handle)
                    : new ErrorContext("Exception while dropping " + Handle.describe(h), e, null, null));
        }
    }

    /** A done-callback of a future completed after close: run inline, errors to the handler. */
    void runClosedCallback(Runnable callback) {
        try {
            callback.run();
        } catch (Throwable e) {
            loop.callExceptionHandler(ErrorContext.of("Exception in done-callback after close", e));
        }
    }
}
