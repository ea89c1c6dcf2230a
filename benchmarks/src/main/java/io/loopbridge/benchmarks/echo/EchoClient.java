package io.loopbridge.benchmarks.echo;

import io.loopbridge.benchmarks.http.ServerArgs;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The echo harness's load generator (benchmarks/run-echo.sh), the same for every server; prints one JSON line.
 *
 * <ul>
 *   <li>{@code pingpong --conns 64 --size 1024 --warmup 3 --seconds 10}: each connection sends a message, waits
 *       until all of it came back, sends the next; messages per second over the measured seconds, and the round
 *       trip's p50/p99/p99.9.</li>
 *   <li>{@code transfer --bytes 1073741824 --chunk 65536}: one connection streams that many bytes through the echo
 *       (writing while the channel is writable, reading back all the while); MiB per second from the first
 *       write to the last byte back.</li>
 * </ul>
 * Prints {@code measure start} and {@code measure end} around the measured window. Netty NIO with {@code --threads} event loops (default 2). Exits 1 (and says why) if a connection fails or an
 * echo comes back short.
 */
public final class EchoClient {
    private EchoClient() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("pingpong") || args[0].equals("transfer"))) {
            System.err.println("usage: EchoClient pingpong|transfer --port N [--conns N --size B --warmup S "
                    + "--seconds S | --bytes B --chunk B] [--threads N]");
            System.exit(2);
        }
        int port = ServerArgs.intArg(args, "--port", 9000);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(ServerArgs.intArg(args, "--threads", 2),
                NioIoHandler.newFactory());
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true).remoteAddress("127.0.0.1", port);
            String json = args[0].equals("pingpong") ? pingPong(bootstrap, args) : transfer(bootstrap, args);
            System.out.println(json);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static String pingPong(Bootstrap bootstrap, String[] args) throws Exception {
        int conns = ServerArgs.intArg(args, "--conns", 64);
        int size = ServerArgs.intArg(args, "--size", 1024);
        int warmup = ServerArgs.intArg(args, "--warmup", 3);
        int seconds = ServerArgs.intArg(args, "--seconds", 10);
        ByteBuf message = Unpooled.unreleasableBuffer(Unpooled.directBuffer(size).writeZero(size));
        List<PingPong> handlers = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            PingPong h = new PingPong(message);
            handlers.add(h);
            channels.add(bootstrap.clone().handler(h).connect().sync().channel());
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(warmup)); // the warm-up is a span of time
        mark("start");
        long before = handlers.stream().mapToLong(h -> h.count).sum();
        long start = System.nanoTime();
        handlers.forEach(h -> h.measuring = true);
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds)); // the measurement is a span of time
        handlers.forEach(h -> h.measuring = false);
        long elapsed = System.nanoTime() - start;
        long after = handlers.stream().mapToLong(h -> h.count).sum();
        mark("end");
        for (Channel ch : channels) {
            ch.close().sync(); // after this, each handler's latencies are visible here
        }
        for (PingPong h : handlers) {
            if (h.failure != null) {
                throw new IllegalStateException("a connection failed: " + h.failure, h.failure);
            }
        }
        long[] all = handlers.stream().flatMapToLong(h -> Arrays.stream(h.latencies, 0, h.recorded)).sorted().toArray();
        double secs = elapsed / 1e9;
        return String.format(Locale.ROOT,
                "{\"mode\":\"pingpong\",\"conns\":%d,\"size\":%d,\"messages\":%d,\"seconds\":%.3f,\"msg_per_s\":%.1f,"
                        + "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}",
                conns, size, after - before, secs, (after - before) / secs,
                pct(all, 50), pct(all, 99), pct(all, 99.9), all.length == 0 ? 0 : all[all.length - 1] / 1e3);
    }

    /** Tells the harness, on its own line, that the measured window starts or ends (it reads the server's CPU). */
    private static void mark(String what) {
        System.out.println("measure " + what);
        System.out.flush();
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] / 1e3;
    }

    private static String transfer(Bootstrap bootstrap, String[] args) throws Exception {
        long bytes = Long.parseLong(stringArg(args, "--bytes", Long.toString(1L << 30)));
        int chunk = ServerArgs.intArg(args, "--chunk", 64 * 1024);
        ByteBuf block = Unpooled.unreleasableBuffer(Unpooled.directBuffer(chunk).writeZero(chunk));
        Transfer t = new Transfer(block, bytes);
        mark("start");
        bootstrap.clone().handler(t).connect().sync();
        long elapsed = t.done.get(10, TimeUnit.MINUTES);
        mark("end");
        double secs = elapsed / 1e9;
        return String.format(Locale.ROOT,
                "{\"mode\":\"transfer\",\"bytes\":%d,\"chunk\":%d,\"seconds\":%.3f,\"mib_per_s\":%.1f}",
                bytes, chunk, secs, bytes / secs / (1 << 20));
    }

    private static String stringArg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    /** One ping-pong connection; all its fields but the flags are touched by its event loop only. */
    private static final class PingPong extends ChannelInboundHandlerAdapter {
        private final ByteBuf message;
        private int pending;
        private long sentAt;
        volatile long count;
        volatile boolean measuring;
        long[] latencies = new long[1 << 16];
        int recorded;
        Throwable failure;

        PingPong(ByteBuf message) {
            this.message = message;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            pending = message.readableBytes();
            sentAt = System.nanoTime();
            ctx.writeAndFlush(message.duplicate(), ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            pending -= in.readableBytes();
            in.release();
            if (pending > 0) {
                return;
            }
            if (pending < 0) {
                failure = new IllegalStateException("the echo sent back " + -pending + " bytes more than was sent");
                ctx.close();
                return;
            }
            if (measuring) {
                if (recorded == latencies.length) {
                    latencies = Arrays.copyOf(latencies, recorded * 2);
                }
                latencies[recorded++] = System.nanoTime() - sentAt;
            }
            count++; // one writer: this event loop
            send(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause;
            ctx.close();
        }
    }

    /** The 1 GiB transfer: writes while writable, counts what comes back, completes {@link #done} with the nanos. */
    private static final class Transfer extends ChannelInboundHandlerAdapter {
        private final ByteBuf block;
        private final long total;
        private long written;
        private long received;
        private long start;
        final CompletableFuture<Long> done = new CompletableFuture<>();

        Transfer(ByteBuf block, long total) {
            this.block = block;
            this.total = total;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            start = System.nanoTime();
            writeMore(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeMore(ctx);
        }

        private void writeMore(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            while (written < total && ch.isWritable()) {
                int n = (int) Math.min(block.readableBytes(), total - written);
                ctx.write(block.duplicate().writerIndex(block.readerIndex() + n), ctx.voidPromise());
                written += n;
            }
            ctx.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            received += in.readableBytes();
            in.release();
            if (received > total) {
                done.completeExceptionally(new IllegalStateException("the echo sent back more than was sent"));
                ctx.close();
            } else if (received == total) {
                done.complete(System.nanoTime() - start);
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IllegalStateException(
                    "the connection closed after " + received + " of " + total + " bytes came back"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
