package io.loopbridge.netty;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LoopPool} seen as a Netty {@link IoEventLoopGroup} ({@link NettyIo#group}): the members are the pool's
 * loops' Netty loops, {@link #next()} is the pool's choice, and the group's life is the pool's (shutting the group
 * down shuts the pool down gracefully; its termination is the pool's). Any thread.
 */
final class PoolGroup extends AbstractEventExecutorGroup implements IoEventLoopGroup {
    private final LoopPool pool;
    private final Promise<Void> terminated = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);

    PoolGroup(LoopPool pool) {
        this.pool = pool;
        pool.terminationFuture().whenComplete((v, e) -> terminated.trySuccess(null));
    }

    @Override
    public IoEventLoop next() {
        return NettyIo.eventLoop(pool.next());
    }

    @Override
    @Deprecated
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return next().register(channel, promise);
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        List<EventExecutor> members = new ArrayList<>();
        for (EventLoop loop : pool.loops()) {
            members.add(NettyIo.eventLoop(loop));
        }
        return members.iterator();
    }

    @Override
    public boolean isShuttingDown() {
        return pool.isShutdown();
    }

    /** Shuts the pool down with {@code timeout} as its grace period (Netty's quiet period does not apply). */
    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        pool.shutdownGracefully(Duration.ofNanos(unit.toNanos(timeout)));
        return terminated;
    }

    @Override
    public Future<?> shutdownGracefully() {
        return shutdownGracefully(2, 15, TimeUnit.SECONDS); // Netty's defaults
    }

    @Override
    public Future<?> terminationFuture() {
        return terminated;
    }

    @Override
    @Deprecated
    public void shutdown() {
        pool.close();
    }

    @Override
    @Deprecated
    public List<Runnable> shutdownNow() {
        pool.close();
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return pool.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return pool.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    @Override
    public String toString() {
        return "PoolGroup[" + pool.name() + "]";
    }
}
