package io.loopbridge.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.testing.Waits;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every transport a loop can drive: an echo round trip through a pool, and a graceful shutdown that stops accepting. */
class TransportsTest {

    static Stream<Arguments> transports() {
        return Stream.of(
                Arguments.of("nio", (Supplier<Boolean>) () -> true, (Supplier<NettyIo>) NettyIo::nio),
                Arguments.of("epoll", (Supplier<Boolean>) Epoll::isAvailable, (Supplier<NettyIo>) () -> NettyIo.of(
                        EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class)),
                Arguments.of("io_uring", (Supplier<Boolean>) IoUring::isAvailable, (Supplier<NettyIo>) () -> NettyIo.of(
                        IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, IoUringSocketChannel.class)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aPoolOfLoopsDrivingTheTransportEchoesAndStopsAcceptingOnShutdown(String name, Supplier<Boolean> available,
                                                                          Supplier<NettyIo> io) throws Exception {
        assumeThat(available.get()).as(name + " works on this machine").isTrue();
        NettyIo transport = io.get();
        LoopPool pool = LoopPool.builder().name(name).loops(2).loopDefaults(b -> b.io(transport)).build();
        try {
            assertThat(NettyIo.of(pool.next())).isSameAs(transport);
            Channel server = new ServerBootstrap().group(NettyIo.group(pool)).channel(transport.serverChannelType())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    ctx.writeAndFlush(msg.retain());
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            CompletableFuture<String> echoed = new CompletableFuture<>();
            Channel client = new Bootstrap().group(NettyIo.group(pool)).channel(transport.channelType())
                    .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                            echoed.complete(msg.toString(StandardCharsets.UTF_8));
                        }
                    }).connect("127.0.0.1", port).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer(name, StandardCharsets.UTF_8));
            assertThat(Waits.get(echoed, name + "-")).isEqualTo(name);

            CompletableFuture<Void> terminated = pool.shutdownGracefully(Duration.ofSeconds(30));
            Waits.get(terminated, name + "-");
            assertThat(server.isOpen()).isFalse();
            assertThat(client.isOpen()).as("closed with its loop").isFalse();
        } finally {
            pool.close();
        }
    }

    @org.junit.jupiter.api.Test
    void autoPicksANativeTransportWhenOneWorksHere() {
        NettyIo auto = NettyIo.auto();
        String expected = Epoll.isAvailable() ? "epoll" : IoUring.isAvailable() ? "io_uring" : "nio";
        assertThat(auto.name()).isEqualTo(expected);
    }
}
