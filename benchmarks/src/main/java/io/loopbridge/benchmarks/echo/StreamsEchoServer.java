package io.loopbridge.benchmarks.echo;

import io.loopbridge.benchmarks.http.ServerArgs;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.netty.NettyIo;
import io.loopbridge.netty.Server;
import io.loopbridge.netty.Streams;
import java.util.Arrays;

/**
 * The echo harness's loopbridge server (benchmarks/run-echo.sh): asyncio's streams echo written with loopbridge's
 * {@link Streams}, one coroutine per connection on the pool loop that owns its channel:
 *
 * <pre>{@code
 * while (data = reader.read(65536)).length > 0: writer.write(data); writer.drain()
 * }</pre>
 * The same program as benchmarks/python/echo_asyncio.py, line for line. {@code --transport nio} (default, like the
 * Netty peer) or {@code auto} (epoll where it loads).
 *
 * <pre>java -cp ... io.loopbridge.benchmarks.echo.StreamsEchoServer --port 9000 --loops 2 [--transport auto]</pre>
 */
public final class StreamsEchoServer {
    private StreamsEchoServer() {}

    static final Streams.ClientConnected ECHO = (reader, writer) -> {
        try {
            for (byte[] data = reader.read(65536); data.length > 0; data = reader.read(65536)) {
                writer.write(data);
                writer.drain();
            }
        } finally {
            writer.close();
        }
    };

    public static void main(String[] args) throws Exception {
        int port = ServerArgs.intArg(args, "--port", 9000);
        int loops = ServerArgs.intArg(args, "--loops", 2);
        int at = Arrays.asList(args).indexOf("--transport");
        String transport = at >= 0 && at + 1 < args.length ? args[at + 1] : "nio";
        NettyIo io = switch (transport) {
            case "nio" -> NettyIo.nio();
            case "auto" -> NettyIo.auto();
            default -> throw new IllegalArgumentException("--transport must be nio or auto, not " + transport);
        };
        try (LoopPool pool = LoopPool.builder().name("echo").loops(loops).loopDefaults(b -> b.io(io)).build();
             Server server = Streams.startServer(ECHO, pool, "127.0.0.1", port)) {
            System.out.println("loopbridge streams echo listening on 127.0.0.1:" + port + " with " + loops
                    + " loops (" + io + ")");
            new java.util.concurrent.CountDownLatch(1).await(); // serves until the harness ends the process
        }
    }
}
