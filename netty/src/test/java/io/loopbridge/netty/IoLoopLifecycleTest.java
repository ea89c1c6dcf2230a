package io.loopbridge.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.testing.Waits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A standalone loop with Netty I/O: where I/O runs in its iterations, which thread owns it, and how it closes. */
class IoLoopLifecycleTest {

    /**
     * A loop that never runs out of ready callbacks still processes I/O in every iteration: a coroutine that only
     * yields ({@code await asyncio.sleep(0)}) until a byte arrives ends, because each iteration polls the
     * selector without waiting. (asyncio: {@code _run_once} selects with timeout 0 when callbacks are ready.)
     */
    @Test
    void aBusyLoopStillProcessesIoInEveryIteration() throws Exception {
        EventLoop loop = EventLoop.builder().name("busy-io").io(NettyIo.nio()).build();
        try {
            AtomicBoolean read = new AtomicBoolean();
            CompletableFuture<Void> closed = new CompletableFuture<>();
            AtomicReference<Channel> server = new AtomicReference<>();
            loop.runUntilComplete(() -> {
                server.set(bind(loop, read, closed));
                return null;
            });
            int port = ((InetSocketAddress) server.get().localAddress()).getPort();
            try (Socket client = new Socket("127.0.0.1", port)) {
                int yields = loop.runUntilComplete(() -> {
                    OutputStream out = client.getOutputStream();
                    out.write('x'); // a blocking write from the loop's coroutine: fine for a test, the byte is small
                    out.flush();
                    int n = 0;
                    while (!read.get()) {
                        Aio.sleep(java.time.Duration.ZERO);
                        n++;
                    }
                    return n;
                });
                assertThat(yields).isGreaterThanOrEqualTo(0);
                assertThat(read).isTrue();
                assertThat(loop.stats().channels()).as("the server channel and its connection").isEqualTo(2);
                assertThat(loop.stats().ioNanos()).isPositive();
            }
            loop.runUntilComplete(() -> {
                NettyIo.wrap(server.get().close()).await();
                return null;
            });
        } finally {
            loop.close();
        }
    }

    private static Channel bind(EventLoop loop, AtomicBoolean read, CompletableFuture<Void> connectionClosed) throws Exception {
        ServerBootstrap bootstrap = new ServerBootstrap().group(NettyIo.eventLoop(loop))
                .channel(NioServerSocketChannel.class).childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ((ByteBuf) msg).release();
                                read.set(true);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                connectionClosed.complete(null);
                            }
                        });
                    }
                });
        io.netty.channel.ChannelFuture bound = bootstrap.bind("127.0.0.1", 0);
        NettyIo.wrap(bound).await();
        return bound.channel();
    }

    /** Closing the loop closes its channels first: the connection's handler hears of it, and nothing stays registered. */
    @Test
    void closingTheLoopClosesItsChannelsAndTheirHandlersHearOfIt() throws Exception {
        EventLoop loop = EventLoop.builder().name("close-io").io(NettyIo.nio()).build();
        AtomicBoolean read = new AtomicBoolean();
        CompletableFuture<Void> connectionClosed = new CompletableFuture<>();
        Channel server = loop.runUntilComplete(() -> bind(loop, read, connectionClosed));
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (Socket client = new Socket("127.0.0.1", port)) {
            loop.runUntilComplete(() -> {
                while (loop.stats().channels() < 2) { // the accept is I/O: poll until it happened
                    Aio.sleep(java.time.Duration.ofMillis(1));
                }
                return null;
            });
            loop.close();
            assertThat(connectionClosed).isDone();
            assertThat(server.isOpen()).isFalse();
            assertThat(loop.stats().channels()).isZero();
            assertThat(client.getInputStream().read()).as("the peer sees EOF").isEqualTo(-1);
        }
    }

    @Test
    void anIoLoopStaysOnTheThreadThatFirstRanItAndSaysSo() throws Exception {
        EventLoop loop = EventLoop.builder().name("bound-io").io(NettyIo.nio()).build();
        loop.runUntilComplete(() -> 1);
        CompletableFuture<Throwable> elsewhere = new CompletableFuture<>();
        Thread other = Thread.ofPlatform().name("other-thread").start(() -> {
            try {
                loop.runUntilComplete(() -> 2);
                elsewhere.complete(null);
            } catch (Throwable e) {
                elsewhere.complete(e);
            }
        });
        other.join();
        assertThat(Waits.get(elsewhere, "other-")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does I/O and stays on thread '" + Thread.currentThread().getName() + "'")
                .hasMessageContaining("cannot run on 'other-thread'");
        assertThat(loop.isRunning()).isFalse();

        CompletableFuture<Throwable> closeElsewhere = new CompletableFuture<>();
        Thread.ofPlatform().name("closer").start(() -> {
            try {
                loop.close();
                closeElsewhere.complete(null);
            } catch (Throwable e) {
                closeElsewhere.complete(e);
            }
        }).join();
        assertThatThrownBy(() -> {
            throw Waits.get(closeElsewhere, "closer");
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("close it on that thread");
        assertThat(loop.isClosed()).as("a refused close changes nothing").isFalse();
        assertThat(loop.runUntilComplete(() -> 3)).as("and the loop still runs where it belongs").isEqualTo(3);
        loop.close();
        assertThat(loop.isClosed()).isTrue();
    }
}
