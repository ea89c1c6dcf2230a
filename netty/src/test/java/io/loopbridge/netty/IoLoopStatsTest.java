package io.loopbridge.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.loopbridge.core.Aio;
import io.loopbridge.core.BlockedLoopChecker;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.testing.LogCapture;
import io.loopbridge.testing.Waits;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a loop with Netty I/O tells its metrics and its watchdog: the channels registered, and I/O that blocks it. */
class IoLoopStatsTest {

    static Stream<org.junit.jupiter.params.provider.Arguments> transports() {
        return TransportsTest.transports();
    }

    /**
     * The channel count is exact: each registration counts at once, and each channel's close takes it off as soon
     * as the loop has processed it (a closed client at once, the server's side when its read sees the end of the
     * stream), down to the listening channel alone. No pruning pass, no lag of a number of polls.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void theChannelCountFollowsRegistrationsAndClosesExactly(String name, Supplier<Boolean> available,
                                                             Supplier<NettyIo> io) throws Exception {
        assumeThat(available.get()).as(name + " works on this machine").isTrue();
        NettyIo transport = io.get();
        int n = 50;
        IoLoops.run(EventLoop.builder().name("count-" + name).io(transport), () -> {
            EventLoop loop = Aio.getRunningLoop();
            assertThat(loop.stats().channels()).isZero();
            Channel server = new ServerBootstrap().group(NettyIo.eventLoop(loop)).channel(transport.serverChannelType())
                    .childHandler(nothing()).bind("127.0.0.1", 0).channel();
            IoLoops.until(server::isActive);
            long baseline = loop.stats().channels();
            assertThat(baseline).as("the listening channel").isEqualTo(1);
            int port = ((InetSocketAddress) server.localAddress()).getPort();

            List<Channel> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ChannelFuture connected = new Bootstrap().group(NettyIo.eventLoop(loop)).channel(transport.channelType())
                        .handler(nothing()).connect("127.0.0.1", port);
                NettyIo.wrap(connected).await();
                clients.add(connected.channel());
            }
            IoLoops.until(() -> loop.stats().channels() == baseline + 2L * n);
            assertThat(loop.stats().channels()).as("each connection's two ends").isEqualTo(baseline + 2L * n);

            for (Channel c : clients) {
                NettyIo.wrap(c.close()).await();
            }
            assertThat(loop.stats().channels()).as("the closed clients count no more, at once").isLessThanOrEqualTo(baseline + n);
            IoLoops.until(() -> loop.stats().channels() == baseline);
            assertThat(loop.stats().channels()).as("the server's ends closed on reading the end of stream").isEqualTo(baseline);

            NettyIo.wrap(server.close()).await();
            assertThat(loop.stats().channels()).isZero();
            return null;
        });
    }

    /**
     * A registration without a connection counts too, and a channel deregistered (not closed) counts no more on
     * the loop it left.
     */
    @Test
    void aDeregisteredChannelCountsNoMore() throws Exception {
        IoLoops.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            NettyIo transport = NettyIo.of(loop);
            List<Channel> channels = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ChannelFuture registered = new Bootstrap().group(NettyIo.eventLoop(loop)).channel(transport.channelType())
                        .handler(nothing()).register();
                NettyIo.wrap(registered).await();
                channels.add(registered.channel());
            }
            assertThat(loop.stats().channels()).isEqualTo(100);
            NettyIo.wrap(channels.getFirst().deregister()).await();
            IoLoops.until(() -> loop.stats().channels() == 99);
            for (Channel ch : channels) {
                NettyIo.wrap(ch.close()).await();
            }
            assertThat(loop.stats().channels()).isZero();
            return null;
        });
    }

    /**
     * A busy loop with no channel registered skips the poll (and its system call); a channel makes it poll in every
     * iteration, and once the channel has gone (and Netty has run its deregistration) it skips again. A Netty task
     * queued from another thread still gets its poll.
     */
    @Test
    void aLoopWithNoChannelSkipsThePollUntilAChannelOrANettyTaskNeedsIt() throws Exception {
        IoLoops.run(() -> {
            EventLoop loop = Aio.getRunningLoop();
            NettyDriver driver = NettyIo.driver(loop);
            IoLoops.until(() -> !driver.hasWork());
            assertThat(driver.hasWork()).as("nothing registered, nothing queued").isFalse();

            ChannelFuture registered = new Bootstrap().group(NettyIo.eventLoop(loop)).channel(NettyIo.of(loop).channelType())
                    .handler(nothing()).register();
            NettyIo.wrap(registered).await();
            assertThat(driver.hasWork()).as("a registered channel").isTrue();
            NettyIo.wrap(registered.channel().close()).await();
            IoLoops.until(() -> !driver.hasWork());
            assertThat(registered.channel().isRegistered()).as("deregistered by a Netty task the loop ran").isFalse();

            LoopFuture<Thread> ran = loop.createFuture();
            Thread.ofPlatform().start(() -> NettyIo.eventLoop(loop).execute(() -> ran.setResult(Thread.currentThread())))
                    .join();
            assertThat(ran.await()).isSameAs(loop.thread());
            return null;
        });
    }

    /**
     * A channel handler that blocks the loop's thread in {@code channelRead} (inside the I/O poll, not in a
     * callback) is reported by the watchdog like a blocked callback: a WARN naming the loop, with the handler in
     * the stack. The wait for I/O is not busy time: a loop idle in its selector for many thresholds is not reported.
     */
    @Test
    void theWatchdogReportsAHandlerThatBlocksTheLoopInChannelRead() throws Exception {
        try (BlockedLoopChecker watchdog = new BlockedLoopChecker("io-watchdog", Duration.ofMillis(100));
             LogCapture logs = new LogCapture()) {
            Boolean sawItBlocked = IoLoops.run(EventLoop.builder().name("blocking-io").io(NettyIo.nio()), () -> {
                EventLoop loop = Aio.getRunningLoop();
                LoopFuture<Void> warmedUp = loop.createFuture();
                LoopFuture<Boolean> handled = loop.createFuture();
                Channel server = new ServerBootstrap().group(NettyIo.eventLoop(loop)).channel(NettyIo.of(loop).serverChannelType())
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new BlockingHandler(loop, warmedUp, handled));
                            }
                        }).bind("127.0.0.1", 0).channel();
                IoLoops.until(server::isActive);
                ChannelFuture connected = new Bootstrap().group(NettyIo.eventLoop(loop)).channel(NettyIo.of(loop).channelType())
                        .handler(nothing()).connect(server.localAddress());
                NettyIo.wrap(connected).await();
                Channel client = connected.channel();
                // A first byte, unwatched: the first write and read load and initialise classes, which may take a
                // threshold on a busy machine (that would be a true report, of another callback).
                NettyIo.wrap(client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'w'}))).await();
                warmedUp.await();

                watchdog.watch(loop);
                Aio.sleep(Duration.ofMillis(500)); // idle in the selector, channels registered: five thresholds
                assertThat(loop.stats().blockedEpisodes()).as("waiting for I/O is not blocking").isZero();

                NettyIo.wrap(client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'x'}))).await();
                boolean blocked = handled.await();
                NettyIo.wrap(client.close()).await();
                NettyIo.wrap(server.close()).await();
                return blocked;
            });
            assertThat(sawItBlocked).as("the watchdog saw the loop blocked while the handler ran").isTrue();
            // The state is set before the WARN is written: wait for the whole report.
            Waits.awaitTrue(() -> logs.text().contains("BlockingHandler.channelRead"), "the report's stack");
            assertThat(logs.text()).contains("Event loop 'blocking-io' is blocked: one callback has been running for")
                    .contains("(threshold 100 ms)").contains("BlockingHandler.channelRead");
        }
    }

    /** A handler that does nothing, for any number of channels. */
    private static ChannelInitializer<Channel> nothing() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
            }
        };
    }

    /**
     * After a first byte, blocks the loop's thread in channelRead until the watchdog has reported the loop
     * blocked (or a deadline passes).
     */
    private static final class BlockingHandler extends ChannelInboundHandlerAdapter {
        private final EventLoop loop;
        private final LoopFuture<Void> warmedUp;
        private final LoopFuture<Boolean> handled;

        BlockingHandler(EventLoop loop, LoopFuture<Void> warmedUp, LoopFuture<Boolean> handled) {
            this.loop = loop;
            this.warmedUp = warmedUp;
            this.handled = handled;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            if (!warmedUp.isDone()) {
                warmedUp.setResult(null);
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Waits.SECONDS);
            while (loop.stats().blockedEpisodes() == 0 && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the loop's thread, held on purpose
            }
            handled.trySetResult(loop.stats().blockedEpisodes() == 1);
        }
    }
}
