package io.loopbridge.core;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/** Test helper: the loop's usual parking, counting how often the loop waits and how often it is woken. */
final class CountingWaiter implements IdleWaiter {
    final AtomicInteger waits = new AtomicInteger();
    final AtomicInteger wakeUps = new AtomicInteger();
    /** A permit per wait, for a test that needs to know the loop went to park. */
    final Semaphore waited = new Semaphore(0);

    @Override
    public void waitForWork(long timeoutNanos) {
        waits.incrementAndGet();
        waited.release();
        IdleWaiter.PARKING.waitForWork(timeoutNanos);
    }

    @Override
    public void wakeUp(Thread loopThread) {
        wakeUps.incrementAndGet();
        IdleWaiter.PARKING.wakeUp(loopThread);
    }
}
