package io.loopbridge.netty;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * TCP connections as a pair of streams, read and written by coroutines: asyncio's {@code open_connection} and
 * {@code start_server}. The connection's channel lives on a loop with Netty I/O; its reads land in the
 * {@link StreamReader} on that loop's thread, the coroutine that serves it runs there, and its writes leave from
 * there: one thread, no hop.
 *
 * <pre>{@code
 * Server server = Streams.startServer((reader, writer) -> {        // a task per connection, on its loop
 *     for (byte[] line = reader.readLine(); line.length > 0; line = reader.readLine()) {
 *         writer.write(line);
 *         writer.drain();
 *     }
 *     writer.close();
 * }, "127.0.0.1", 8888);
 * }</pre>
 *
 * Every channel is made of the transport's classes ({@link NettyIo#channelType()},
 * {@link NettyIo#serverChannelType()}), so streams work over NIO, epoll or io_uring alike.
 */
public final class Streams {
    /** The default limit of a {@link StreamReader}: 64 KiB, as asyncio's {@code _DEFAULT_LIMIT}. */
    public static final int DEFAULT_LIMIT = 64 * 1024;

    private Streams() {
    }

    /** A connection's two streams: what {@code open_connection} returns as {@code (reader, writer)}. */
    public record Connection(StreamReader reader, StreamWriter writer) {
        public Connection {
            Objects.requireNonNull(reader, "reader");
            Objects.requireNonNull(writer, "writer");
        }
    }

    /** What a server does with each connection: {@code start_server}'s {@code client_connected_cb}. */
    @FunctionalInterface
    public interface ClientConnected {
        /**
         * Serves one connection. Runs as a task (a coroutine) on the connection's loop. If it throws, the error goes
         * to the loop's exception handler and the connection is closed; if it is cancelled, the connection is
         * closed; if it returns, the connection stays open until someone closes the writer (asyncio 3.12).
         */
        void connected(StreamReader reader, StreamWriter writer) throws Exception;
    }

    /** {@link #openConnection(String, int, SslContext, int)} without TLS, with the default limit. */
    public static Connection openConnection(String host, int port) throws Exception {
        return openConnection(host, port, null, DEFAULT_LIMIT);
    }

    /** {@link #openConnection(String, int, SslContext, int)} with the default limit. */
    public static Connection openConnection(String host, int port, SslContext sslContext) throws Exception {
        return openConnection(host, port, sslContext, DEFAULT_LIMIT);
    }

    /**
     * Connects to {@code host:port} from the running loop and returns the connection's streams, once connected
     * (and, with {@code sslContext}, once the TLS handshake is done): {@code await open_connection(host, port,
     * ssl=..., limit=...)}. Inside a coroutine of a loop with Netty I/O; the connection lives on that loop.
     *
     * @param sslContext a client {@link SslContext} for TLS (the host name is sent for SNI and checked as the
     *                   context says), or null
     * @param limit      the reader's limit ({@link StreamReader})
     * @throws java.net.ConnectException if the connection is refused (Netty's message names the address)
     * @throws IllegalStateException outside a coroutine, or on a loop without Netty I/O (the message says how to
     *                               build one)
     */
    public static Connection openConnection(String host, int port, SslContext sslContext, int limit) throws Exception {
        Objects.requireNonNull(host, "host");
        checkPort(port);
        StreamReader.checkLimit(limit);
        if (sslContext != null && !sslContext.isClient()) {
            throw new IllegalArgumentException("openConnection needs a client SslContext (SslContextBuilder.forClient())");
        }
        EventLoop loop = ioLoop("openConnection");
        StreamProtocol protocol = new StreamProtocol(loop, new StreamReader(loop, limit), sslContext, null);
        Bootstrap bootstrap = new Bootstrap().group(NettyIo.eventLoop(loop)).channel(NettyIo.of(loop).channelType())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, sslContext == null)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (sslContext != null) {
                            ch.pipeline().addLast(protocol.socketWriteFailures());
                            ch.pipeline().addLast(sslContext.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast(protocol);
                    }
                });
        Channel channel = await(StreamProtocol.startOnLoopThread(loop, () -> bootstrap.connect(host, port)));
        try {
            if (sslContext != null) {
                NettyIo.wrap(channel.pipeline().get(SslHandler.class).handshakeFuture()).await();
            }
        } catch (Exception | Error e) {
            channel.close();
            throw e;
        }
        return new Connection(protocol.reader(), protocol.writer());
    }

    /** {@link #startServer(ClientConnected, String, int, SslContext, int)} without TLS, with the default limit. */
    public static Server startServer(ClientConnected callback, String host, int port) throws Exception {
        return startServer(callback, host, port, null, DEFAULT_LIMIT);
    }

    /** {@link #startServer(ClientConnected, String, int, SslContext, int)} with the default limit. */
    public static Server startServer(ClientConnected callback, String host, int port, SslContext sslContext)
            throws Exception {
        return startServer(callback, host, port, sslContext, DEFAULT_LIMIT);
    }

    /**
     * Listens on {@code host:port} on the running loop and serves each connection there with {@code callback}, as a
     * task: {@code await start_server(client_connected_cb, host, port, ssl=..., limit=...)}. Returns once
     * listening. Inside a coroutine of a loop with Netty I/O.
     *
     * @param host       the address to listen on; null for every interface
     * @param port       0 for any free port ({@link Server#addresses()} says which)
     * @param sslContext a server {@link SslContext} for TLS (the callback starts once the handshake is done), or
     *                   null
     * @param limit      each connection's reader limit
     */
    public static Server startServer(ClientConnected callback, String host, int port, SslContext sslContext, int limit)
            throws Exception {
        checkServerArguments(callback, port, sslContext, limit);
        EventLoop loop = ioLoop("startServer");
        return bind(callback, host, port, sslContext, limit, loop, NettyIo.eventLoop(loop));
    }

    /** {@link #startServer(ClientConnected, LoopPool, String, int, SslContext, int)} without TLS, default limit. */
    public static Server startServer(ClientConnected callback, LoopPool pool, String host, int port) throws Exception {
        return startServer(callback, pool, host, port, null, DEFAULT_LIMIT);
    }

    /** {@link #startServer(ClientConnected, LoopPool, String, int, SslContext, int)} with the default limit. */
    public static Server startServer(ClientConnected callback, LoopPool pool, String host, int port,
                                     SslContext sslContext) throws Exception {
        return startServer(callback, pool, host, port, sslContext, DEFAULT_LIMIT);
    }

    /**
     * As {@link #startServer(ClientConnected, String, int, SslContext, int)}, with the connections spread over
     * {@code pool}'s loops (its own choice, {@link LoopPool#next()}); each connection's reads, callback task and
     * writes run on its loop. The pool's loops must have Netty I/O. Any thread: inside a coroutine it suspends
     * until listening, elsewhere it blocks until then (not on a loop's thread outside a coroutine).
     */
    public static Server startServer(ClientConnected callback, LoopPool pool, String host, int port,
                                     SslContext sslContext, int limit) throws Exception {
        checkServerArguments(callback, port, sslContext, limit);
        IoEventLoopGroup group = NettyIo.group(Objects.requireNonNull(pool, "pool"));
        EventLoop caller = LoopSpi.runningLoopOrNull();
        if (caller != null && Aio.currentTask() == null) {
            throw new IllegalStateException("Streams.startServer(pool, ...) called from a callback of event loop '"
                    + caller.name() + "': call it from a coroutine, or from a thread without a loop");
        }
        EventLoop acceptor = pool.next();
        return bind(callback, host, port, sslContext, limit, acceptor, group);
    }

    private static Server bind(ClientConnected callback, String host, int port, SslContext sslContext, int limit,
                               EventLoop acceptor, IoEventLoopGroup childGroup) throws Exception {
        Server server = new Server();
        ServerBootstrap bootstrap = new ServerBootstrap().group(NettyIo.eventLoop(acceptor), childGroup)
                .channel(NettyIo.of(acceptor).serverChannelType())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, sslContext == null)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        EventLoop loop = ((LoopIoEventLoop) ch.eventLoop()).loop();
                        StreamProtocol protocol = new StreamProtocol(loop, new StreamReader(loop, limit), sslContext, server);
                        SslHandler ssl = sslContext == null ? null : sslContext.newHandler(ch.alloc());
                        if (ssl != null) {
                            ch.pipeline().addLast(protocol.socketWriteFailures());
                            ch.pipeline().addLast(ssl);
                        }
                        ch.pipeline().addLast(protocol);
                        if (!server.attach(protocol)) {
                            ch.close();
                        } else if (ssl == null) {
                            protocol.startClient(callback);
                        } else {
                            ssl.handshakeFuture().addListener(handshake -> {
                                if (handshake.isSuccess()) {
                                    protocol.startClient(callback);
                                } // else SslHandler closes the channel
                            });
                        }
                    }
                });
        Channel listener = await(StreamProtocol.startOnLoopThread(acceptor,
                () -> host == null ? bootstrap.bind(port) : bootstrap.bind(host, port)));
        server.listening(listener);
        return server;
    }

    /** The channel {@code future} completes with: awaited inside a coroutine, else waited for. */
    private static Channel await(CompletableFuture<Channel> future) throws Exception {
        if (LoopSpi.runningLoopOrNull() != null) {
            return Bridge.wrapFuture(future).await(); // cancelling the wait cancels the future, which closes it
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (InterruptedException e) {
            future.cancel(false);
            throw e;
        }
    }

    private static void checkServerArguments(ClientConnected callback, int port, SslContext sslContext, int limit) {
        Objects.requireNonNull(callback, "callback");
        checkPort(port);
        StreamReader.checkLimit(limit);
        if (sslContext != null && !sslContext.isServer()) {
            throw new IllegalArgumentException("startServer needs a server SslContext (SslContextBuilder.forServer(...))");
        }
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
    }

    /** The running loop, inside a coroutine, with Netty I/O; else a message with the fix. */
    private static EventLoop ioLoop(String method) {
        EventLoop loop = LoopSpi.runningLoopOrNull();
        if (loop == null || Aio.currentTask() == null) {
            throw new IllegalStateException("Streams." + method + "() must be awaited inside a coroutine on an event loop"
                    + " with Netty I/O (thread '" + Thread.currentThread().getName() + "' runs none); e.g. "
                    + "EventLoop.builder().io(NettyIo.nio()).build().runUntilComplete(coroutine)");
        }
        try {
            NettyIo.driver(loop);
        } catch (IllegalArgumentException noIo) {
            throw new IllegalStateException("Streams." + method + "() needs a loop with Netty I/O, but event loop '"
                    + loop.name() + "' has none; build it with EventLoop.builder().io(NettyIo.nio())"
                    + " (a pool: loopDefaults(b -> b.io(NettyIo.nio())))");
        }
        return loop;
    }
}
