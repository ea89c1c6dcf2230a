package io.loopbridge.netty;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.LoopIo;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.util.Objects;

/**
 * Netty I/O for loopbridge's loops: the {@link LoopIo} to build a loop or pool with, and the ways in from Netty's
 * side. Immutable; any thread.
 *
 * <pre>{@code
 * LoopPool pool = LoopPool.builder().loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build();
 * new ServerBootstrap().group(NettyIo.group(pool)).channel(NioServerSocketChannel.class) ...
 * }</pre>
 *
 * A channel registered through {@link #group} or {@link #eventLoop} lives on the loop's thread: its handlers run
 * there, {@link Aio#getRunningLoop()} inside them is its loop, and {@code loop.createTask(...)} starts a coroutine
 * beside it with no thread hop. Inside a coroutine, {@link #wrap} turns any Netty future into a {@link LoopFuture}
 * to await.
 */
public final class NettyIo implements LoopIo {
    private static final LoopSpi.Key<NettyDriver> DRIVER = new LoopSpi.Key<>("netty-io");

    private final String name;
    private final IoHandlerFactory factory;
    private final Class<? extends ServerSocketChannel> serverChannelType;
    private final Class<? extends SocketChannel> channelType;

    private NettyIo(String name, IoHandlerFactory factory, Class<? extends ServerSocketChannel> serverChannelType,
                    Class<? extends SocketChannel> channelType) {
        this.name = name;
        this.factory = factory;
        this.serverChannelType = serverChannelType;
        this.channelType = channelType;
    }

    /** Java NIO (select/epoll through the JDK): works everywhere. */
    public static NettyIo nio() {
        return new NettyIo("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * The best transport this JVM has: Netty's native epoll when {@code netty-transport-native-epoll} is on the
     * class path and works here, else io_uring ({@code netty-transport-native-io_uring}), else {@link #nio()}.
     * {@link #serverChannelType}/{@link #channelType} say which channel classes go with it.
     */
    public static NettyIo auto() {
        NettyIo epoll = nativeTransport("epoll", "io.netty.channel.epoll.Epoll", "io.netty.channel.epoll.EpollIoHandler",
                "io.netty.channel.epoll.EpollServerSocketChannel", "io.netty.channel.epoll.EpollSocketChannel");
        if (epoll != null) {
            return epoll;
        }
        NettyIo uring = nativeTransport("io_uring", "io.netty.channel.uring.IoUring", "io.netty.channel.uring.IoUringIoHandler",
                "io.netty.channel.uring.IoUringServerSocketChannel", "io.netty.channel.uring.IoUringSocketChannel");
        return uring != null ? uring : nio();
    }

    /**
     * I/O through any Netty 4.2 {@link IoHandlerFactory}, with the TCP channel classes that go with it, e.g.
     * {@code NettyIo.of(EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class)}.
     * {@link Streams} makes its channels of these classes.
     */
    public static NettyIo of(IoHandlerFactory factory, Class<? extends ServerSocketChannel> serverChannelType,
                             Class<? extends SocketChannel> channelType) {
        return new NettyIo(factory.getClass().getName(), Objects.requireNonNull(factory, "factory"),
                Objects.requireNonNull(serverChannelType, "serverChannelType"), Objects.requireNonNull(channelType, "channelType"));
    }

    @SuppressWarnings("unchecked")
    private static NettyIo nativeTransport(String name, String probe, String handler, String server, String socket) {
        try {
            ClassLoader cl = NettyIo.class.getClassLoader();
            if (!(Boolean) Class.forName(probe, true, cl).getMethod("isAvailable").invoke(null)) {
                return null;
            }
            IoHandlerFactory factory = (IoHandlerFactory) Class.forName(handler, true, cl).getMethod("newFactory").invoke(null);
            return new NettyIo(name, factory, (Class<? extends ServerSocketChannel>) Class.forName(server, true, cl),
                    (Class<? extends SocketChannel>) Class.forName(socket, true, cl));
        } catch (ReflectiveOperationException | LinkageError notThere) {
            return null;
        }
    }

    /** The transport's name: {@code nio}, {@code epoll}, {@code io_uring}, or the handler factory's class. */
    public String name() {
        return name;
    }

    /** The listening channel class that goes with this transport. */
    public Class<? extends ServerSocketChannel> serverChannelType() {
        return serverChannelType;
    }

    /** The connection channel class that goes with this transport. */
    public Class<? extends SocketChannel> channelType() {
        return channelType;
    }

    /** The transport {@code loop} was built with. Any thread. */
    public static NettyIo of(EventLoop loop) {
        return driver(loop).io();
    }

    @Override
    public String toString() {
        return "NettyIo[" + name + "]";
    }

    /** Called by {@link EventLoop.Builder#build()}; not for users. */
    @Override
    public Driver open(EventLoop loop) {
        NettyDriver driver = new NettyDriver(loop, this, factory);
        LoopSpi.attachment(loop, DRIVER, l -> driver);
        return driver;
    }

    /**
     * The Netty event loop of {@code loop}, to register channels with ({@code Bootstrap.group(...)}) or to hand to
     * Netty code. Any thread.
     *
     * @throws IllegalArgumentException if the loop was built without Netty I/O
     */
    public static IoEventLoop eventLoop(EventLoop loop) {
        return driver(loop).netty();
    }

    /**
     * {@code pool} as a Netty {@link IoEventLoopGroup}: {@code next()} is the pool's own choice of loop
     * ({@link LoopPool#next()}), and shutting the group down shuts the pool down. Any thread.
     *
     * @throws IllegalArgumentException if the pool's loops were built without Netty I/O
     */
    public static IoEventLoopGroup group(LoopPool pool) {
        Objects.requireNonNull(pool, "pool");
        for (EventLoop loop : pool.loops()) {
            driver(loop);
        }
        return new PoolGroup(pool);
    }

    /**
     * A future of the running loop that completes as {@code future} does, on the loop's thread: to await a
     * {@code ChannelFuture} or any Netty {@link Future} in a coroutine ({@code NettyIo.wrap(ch.writeAndFlush(msg)).await()}).
     * Cancelling it cancels {@code future}. asyncio's {@code wrap_future}, for Netty. Loop thread only.
     *
     * @throws IllegalStateException if no loop is running on this thread
     */
    public static <T> LoopFuture<T> wrap(Future<T> future) {
        Objects.requireNonNull(future, "future");
        EventLoop loop = Aio.getRunningLoop();
        LoopFuture<T> mirror = loop.createFuture();
        future.addListener(done -> {
            if (LoopSpi.inLoop(loop)) {
                copy(future, mirror);
            } else {
                loop.callSoonThreadsafe(() -> copy(future, mirror), () -> mirror.cancel("Event loop closed"));
            }
        });
        mirror.addDoneCallback(m -> {
            if (m.isCancelled()) {
                future.cancel(false);
            }
        });
        return mirror;
    }

    private static <T> void copy(Future<T> from, LoopFuture<T> to) {
        if (to.isDone()) {
            return;
        }
        if (from.isSuccess()) {
            to.setResult(from.getNow());
        } else if (from.isCancelled()) {
            to.cancel();
        } else {
            to.setException(from.cause());
        }
    }

    static NettyDriver driver(EventLoop loop) {
        Objects.requireNonNull(loop, "loop");
        NettyDriver driver = LoopSpi.attachment(loop, DRIVER, l -> null);
        if (driver == null) {
            throw new IllegalArgumentException("Event loop '" + loop.name() + "' has no Netty I/O; build it with"
                    + " EventLoop.builder().io(NettyIo.nio()) (a pool: loopDefaults(b -> b.io(NettyIo.nio())))");
        }
        return driver;
    }
}
