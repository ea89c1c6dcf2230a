package io.loopbridge.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.testing.Waits;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Netty channels on loopbridge's loops: a connection's handlers, its coroutines and its writes on one thread. */
class NettyIoTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(cleanup);
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private LoopPool ioPool(String name) {
        LoopPool pool = LoopPool.builder().name(name).loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build();
        cleanup.add(pool);
        return pool;
    }

    /**
     * A server on a pool's loops answers each line from a coroutine started in the handler: the handler, the
     * coroutine and the write all run on the channel's loop thread, and the coroutine awaits Netty's write future.
     */
    @Test
    void aHandlerStartsACoroutineOnItsChannelsLoopThatAwaitsTheWriteWithNoThreadHop() throws Exception {
        LoopPool pool = ioPool("echo");
        List<String> seen = new CopyOnWriteArrayList<>();
        Channel server = new ServerBootstrap().group(NettyIo.group(pool)).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                String text = msg.toString(StandardCharsets.UTF_8);
                                Thread handlerThread = Thread.currentThread();
                                EventLoop loop = Aio.getRunningLoop();
                                seen.add("handler on " + (loop.thread() == handlerThread));
                                loop.createTask(() -> {
                                    seen.add("coroutine on channel's loop " + (Aio.getRunningLoop() == loop)
                                            + ", in channel's event loop " + ctx.channel().eventLoop().inEventLoop());
                                    NettyIo.wrap(ctx.writeAndFlush(Unpooled.copiedBuffer("echo:" + text,
                                            StandardCharsets.UTF_8))).await();
                                    seen.add("written");
                                    return null;
                                });
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        cleanup.add(() -> server.close().sync());
        int port = ((InetSocketAddress) server.localAddress()).getPort();

        CompletableFuture<String> reply = new CompletableFuture<>();
        Channel client = new Bootstrap().group(NettyIo.group(pool)).channel(NioSocketChannel.class)
                .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        reply.complete(msg.toString(StandardCharsets.UTF_8));
                    }
                }).connect("127.0.0.1", port).sync().channel();
        cleanup.add(() -> client.close().sync());
        client.writeAndFlush(Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8));

        assertThat(Waits.get(reply, "echo-")).isEqualTo("echo:hi");
        Waits.awaitTrue(() -> seen.contains("written"), "the coroutine's write to complete");
        assertThat(seen).containsExactly("handler on true", "coroutine on channel's loop true, in channel's event loop true",
                "written");
    }

    /**
     * An idle loop with I/O waits in its selector; a thread-safe submission wakes it, and a timer's deadline ends
     * the wait.
     */
    @Test
    void anIdleIoLoopIsWokenByASubmissionAndByItsNextTimer() throws Exception {
        LoopPool pool = ioPool("wake");
        EventLoop loop = pool.next();
        for (int i = 0; i < 20; i++) {
            CompletableFuture<Thread> ran = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> ran.complete(Thread.currentThread()));
            assertThat(ran.get(Waits.SECONDS, TimeUnit.SECONDS)).isSameAs(loop.thread());
        }
        long start = System.nanoTime();
        Integer slept = Bridge.runCoroutineThreadsafe(() -> {
            Aio.sleep(Duration.ofMillis(20));
            return 20;
        }, loop).get(Waits.SECONDS, TimeUnit.SECONDS);
        assertThat(slept).isEqualTo(20);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    }

    @Test
    void aLoopWithoutNettyIoIsRefusedWithTheFix() {
        EventLoop plain = EventLoop.create();
        cleanup.add(plain::close);
        assertThatThrownBy(() -> NettyIo.eventLoop(plain)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no Netty I/O; build it with EventLoop.builder().io(NettyIo.nio())");
    }

    /**
     * A graceful pool shutdown stops accepting first (the listening channel closes), lets an open connection's
     * coroutine finish its exchange, and closes that connection when its loop closes: nothing is left pending.
     */
    @Test
    void aGracefulShutdownStopsAcceptingLetsOpenConnectionsFinishThenClosesThem() throws Exception {
        LoopPool pool = LoopPool.builder().name("graceful-io").loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build();
        CompletableFuture<Void> connectionTaskDone = new CompletableFuture<>();
        CompletableFuture<Void> accepted = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(NettyIo.group(pool)).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        LoopFuture<String> bye = Aio.getRunningLoop().createFuture();
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                bye.trySetResult(msg.toString(StandardCharsets.UTF_8));
                            }
                        });
                        Aio.getRunningLoop().createTask(() -> { // the connection's work: answer the client's "bye"
                            String word = bye.await();
                            NettyIo.wrap(ch.writeAndFlush(Unpooled.copiedBuffer("got " + word, StandardCharsets.UTF_8))).await();
                            connectionTaskDone.complete(null);
                            return null;
                        });
                        accepted.complete(null);
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
            Waits.get(accepted, "graceful-io-"); // a connection still in the listen backlog would be reset
            CompletableFuture<Void> terminated = pool.shutdownGracefully(Duration.ofSeconds(30));
            Waits.awaitTrue(() -> !server.isOpen(), "the listening channel to close");
            assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
                    .isInstanceOf(java.net.ConnectException.class);
            assertThat(connectionTaskDone).as("the open connection's task waits for its client").isNotDone();
            client.getOutputStream().write('?');
            byte[] answer = new byte[5];
            int n = client.getInputStream().readNBytes(answer, 0, 5);
            assertThat(new String(answer, 0, n, StandardCharsets.UTF_8)).isEqualTo("got ?");
            Waits.get(connectionTaskDone, "graceful-io-");
            Waits.get(terminated, "graceful-io-");
            assertThat(client.getInputStream().read()).as("the loop's close closed the connection").isEqualTo(-1);
        }
    }

    /**
     * Netty's own tasks run on the loop's thread: one queued from another thread wakes the idle loop, and one
     * scheduled through Netty runs when due (the loop's wait ends at Netty's next deadline too).
     */
    @Test
    void nettyTasksQueuedOrScheduledOnTheLoopRunOnItsThread() throws Exception {
        LoopPool pool = ioPool("netty-tasks");
        EventLoop loop = pool.next();
        io.netty.channel.IoEventLoop netty = NettyIo.eventLoop(loop);
        for (int i = 0; i < 20; i++) {
            CompletableFuture<Thread> ran = new CompletableFuture<>();
            netty.execute(() -> ran.complete(Thread.currentThread()));
            assertThat(Waits.get(ran, "netty-tasks-")).isSameAs(loop.thread());
        }
        long start = System.nanoTime();
        CompletableFuture<Long> scheduled = new CompletableFuture<>();
        netty.schedule(() -> scheduled.complete(System.nanoTime()), 20, TimeUnit.MILLISECONDS);
        assertThat(Waits.get(scheduled, "netty-tasks-") - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        CompletableFuture<Boolean> inLoop = new CompletableFuture<>();
        netty.execute(() -> inLoop.complete(netty.inEventLoop() && Aio.getRunningLoop() == loop));
        assertThat(Waits.get(inLoop, "netty-tasks-")).isTrue();
    }

    /** The README's example, as written there (port 0 instead of 8081), answers after its coroutine's sleep. */
    @Test
    void theReadmeExampleAnswersFromACoroutineOnTheChannelsLoop() throws Exception {
        LoopPool pool = LoopPool.builder().name("io").loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build();
        cleanup.add(pool);
        Channel server = new ServerBootstrap().group(NettyIo.group(pool))
                .channel(NioServerSocketChannel.class)
                .childHandler(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        ByteBuf reply = msg.retainedDuplicate();
                        Aio.getRunningLoop().createTask(() -> {
                            Aio.sleep(Duration.ofMillis(10));
                            NettyIo.wrap(ctx.writeAndFlush(reply)).await();
                            return null;
                        });
                    }
                }).bind(0).sync().channel();
        cleanup.add(() -> server.close().sync());
        try (java.net.Socket client = new java.net.Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            client.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(client.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("ping");
        }
    }
}
