package io.loopbridge.core.sync;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;

/**
 * asyncio's {@code _LoopBoundMixin}: a primitive belongs to the loop that first makes a task wait on it.
 * Until then it may be used anywhere (e.g. filled before the loop runs); afterwards only on that loop's
 * thread, and any other use fails fast.
 */
abstract class LoopBound {
    private EventLoop loop;

    /** A new waiter future on this primitive's loop, binding it to the running loop on first use. */
    final <T> LoopFuture<T> newWaiter() {
        return boundLoop().createFuture();
    }

    /** Checks a non-suspending call: on the bound loop, or anywhere while not bound yet. */
    final void checkLoop() {
        if (loop != null) {
            boundLoop();
        }
    }

    private EventLoop boundLoop() {
        EventLoop running;
        try {
            running = Aio.getRunningLoop();
        } catch (IllegalStateException none) {
            throw new IllegalStateException(getClass().getSimpleName() + " used on thread '"
                    + Thread.currentThread().getName() + "' where no event loop runs"
                    + (loop == null ? "" : "; it belongs to loop '" + loop.name() + "'"), none);
        }
        if (loop == null) {
            loop = running;
        } else if (loop != running) {
            throw new IllegalStateException(getClass().getSimpleName() + " is bound to loop '" + loop.name()
                    + "' but used on loop '" + running.name() + "'");
        }
        return running;
    }
}
