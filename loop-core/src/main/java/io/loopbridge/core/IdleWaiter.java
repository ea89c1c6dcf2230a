package io.loopbridge.core;

import java.util.concurrent.locks.LockSupport;

/**
 * The loop's "wait for work" step, kept behind one small interface so that another driver (Netty's
 * {@code ManualIoEventLoop.run(waitNanos)} / {@code wakeup()}) can take its place without reshaping the loop.
 * The loop owns the lost-wake-up protocol; a waiter only blocks and unblocks.
 */
interface IdleWaiter {
    /** Blocks the loop thread for up to {@code timeoutNanos} (negative: until woken). May return early. */
    void waitForWork(long timeoutNanos);

    /** Makes a current or the next {@link #waitForWork} of {@code loopThread} return promptly. Any thread. */
    void wakeUp(Thread loopThread);

    /** Waits in {@code io}'s poll: the wait also runs the I/O that is ready. */
    static IdleWaiter polling(LoopIo.Driver io) {
        return new IdleWaiter() {
            @Override
            public void waitForWork(long timeoutNanos) {
                io.poll(timeoutNanos);
            }

            @Override
            public void wakeUp(Thread loopThread) {
                io.wakeUp();
            }
        };
    }

    IdleWaiter PARKING = new IdleWaiter() {
        @Override
        public void waitForWork(long timeoutNanos) {
            if (timeoutNanos < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, timeoutNanos);
            }
        }

        @Override
        public void wakeUp(Thread loopThread) {
            LockSupport.unpark(loopThread);
        }
    };
}
