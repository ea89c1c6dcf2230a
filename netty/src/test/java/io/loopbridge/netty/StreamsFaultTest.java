package io.loopbridge.netty;

import static io.loopbridge.netty.StreamsTest.ECHO_LINES;
import static io.loopbridge.netty.StreamsTest.b;
import static io.loopbridge.netty.StreamsTest.port;
import static io.loopbridge.netty.StreamsTest.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.loopbridge.testing.ReportedErrors;
import io.loopbridge.testing.Waits;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Streams} when things go wrong: a peer that resets, many connections come and gone, an idle peer among
 * busy ones. The CPython 3.11 behaviour each test mirrors is above it ({@code asyncio.run}; {@code start_server} /
 * {@code open_connection} on 127.0.0.1, port 0). TLS is in {@link StreamsTlsTest}.
 */
@ExtendWith(NoLeaks.class)
class StreamsFaultTest {

    /*
     * async def cb(r, w):
     *     try: await r.read(100)
     *     except Exception as e: done.set_result(repr(e))
     * s = socket.create_connection(('127.0.0.1', port)); s.setsockopt(SOL_SOCKET, SO_LINGER, struct.pack('ii', 1, 0))
     * s.close()  # an RST
     * await done -> ConnectionResetError(104, 'Connection reset by peer')
     * r, w = await open_connection('127.0.0.1', port) -> connects; srv.is_serving() -> True (the loop lives)
     */
    @Test
    void aPeerThatResetsMidReadMakesTheServersReadThrowAndItsTaskEndWhileTheLoopLives() throws Exception {
        ReportedErrors reported = new ReportedErrors();
        List<Object> seen = IoLoops.run(EventLoop.builder().name("reset").io(NettyIo.nio()).exceptionHandler(reported), () -> {
            List<Object> out = new ArrayList<>();
            LoopFuture<Task<?>> reading = Aio.getRunningLoop().createFuture();
            LoopFuture<Throwable> failed = Aio.getRunningLoop().createFuture();
            try (Server server = Streams.startServer((r, w) -> {
                if (!reading.isDone()) {
                    reading.setResult(Aio.currentTask());
                    try {
                        r.read(100);
                        failed.setResult(null);
                    } catch (Exception e) {
                        failed.setResult(e);
                    }
                    return;
                }
                ECHO_LINES.connected(r, w);
            }, "127.0.0.1", 0)) {
                Socket client = new Socket("127.0.0.1", port(server)); // the kernel's backlog completes it
                client.setSoLinger(true, 0);
                Task<?> serverTask = reading.await();
                client.close(); // an RST, not a FIN
                Throwable error = failed.await();
                out.add(error instanceof SocketException ? "SocketException: " + error.getMessage() : error);
                IoLoops.until(serverTask::isDone);
                out.add("server task ended: " + !serverTask.isCancelled());
                IoLoops.until(() -> server.connectionCount() == 0);
                out.add("connections: " + server.connectionCount());

                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                c.writer().write(b("still here\n"));
                out.add(s(c.reader().readLine()));
                out.add(server.isServing());
                c.writer().close();
                c.writer().waitClosed();
            }
            return out;
        });
        assertThat(seen).containsExactly("SocketException: Connection reset", "server task ended: true", "connections: 0",
                "still here\n", true);
        assertThat(reported.messages()).isEmpty();
    }

    /*
     * async def cb(r, w): line = await r.readline(); w.write(b'echo ' + line); await w.drain(); w.close()
     * r1, w1 = await open_connection(...); w1.write(b'half a li'); await w1.drain()   # then idle
     * r2, w2 = await open_connection(...); w2.write(b'hello\n'); await r2.read() -> b'echo hello\n'
     */
    @Test
    void aClientIdleWithHalfALineDoesNotHoldUpTheServersOtherConnections() throws Exception {
        List<String> seen = IoLoops.run(() -> {
            List<String> out = new ArrayList<>();
            List<StreamReader> serverReaders = new ArrayList<>();
            try (Server server = Streams.startServer((r, w) -> {
                serverReaders.add(r);
                byte[] line = r.readLine();
                w.write(b("echo " + s(line)));
                w.drain();
                w.close();
            }, "127.0.0.1", 0)) {
                Streams.Connection idle = Streams.openConnection("127.0.0.1", port(server));
                idle.writer().write(b("half a li"));
                idle.writer().drain();
                IoLoops.until(() -> serverReaders.size() == 1 && serverReaders.get(0).buffered() == 9);
                out.add("idle one's line buffered on the server");

                for (int i = 0; i < 3; i++) {
                    Streams.Connection busy = Streams.openConnection("127.0.0.1", port(server));
                    busy.writer().write(b("hello " + i + "\n"));
                    out.add(s(busy.reader().read()));
                    busy.writer().close();
                }

                idle.writer().write(b("ne\n"));
                out.add(s(idle.reader().read()));
                idle.writer().close();
            }
            return out;
        });
        assertThat(seen).containsExactly("idle one's line buffered on the server", "echo hello 0\n", "echo hello 1\n",
                "echo hello 2\n", "echo half a line\n");
    }

    /*
     * async def cb(r, w): await r.read(); w.close()
     * base = len(os.listdir('/proc/self/fd'))
     * 100 times: 100 x open_connection, then close() and wait_closed() each
     * -> the server's active connections 0; len(os.listdir('/proc/self/fd')) - base -> 0
     * Here the clients are blocking sockets on the test's thread, the server a pool's two loops, in batches.
     */
    @Test
    void tenThousandConnectionsOpenedAndClosedLeaveNoConnectionAndNoFileDescriptorBehind() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd to count the open file descriptors");
        int total = 10_000;
        int batch = 200;
        AtomicInteger served = new AtomicInteger();
        try (LoopPool pool = LoopPool.builder().name("many").loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build();
             Server server = Streams.startServer((r, w) -> {
                 r.read();
                 served.incrementAndGet();
                 w.close();
             }, pool, "127.0.0.1", 0)) {
            int port = port(server);
            connectAndClose(port, 1); // a first connection: whatever the first one opens lazily is in the baseline
            Waits.awaitTrue(() -> served.get() == 1 && server.connectionCount() == 0, "the first connection closed");
            long baseline = openFileDescriptors(fds);

            Socket[] clients = new Socket[batch];
            for (int done = 0; done < total; done += batch) {
                for (int i = 0; i < batch; i++) {
                    clients[i] = new Socket("127.0.0.1", port);
                }
                for (Socket client : clients) {
                    client.close();
                }
            }

            Waits.awaitTrue(() -> served.get() == total + 1, "every connection served");
            Waits.awaitTrue(() -> server.connectionCount() == 0, "no connection left");
            Waits.awaitTrue(() -> openFileDescriptors(fds) <= baseline + 2, "the open file descriptors back to "
                    + baseline + " (+2), now " + openFileDescriptors(fds));
            assertThat(server.connectionCount()).isZero();
            assertThat(server.isServing()).isTrue();
        }
    }

    private static void connectAndClose(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            new Socket("127.0.0.1", port).close();
        }
    }

    private static long openFileDescriptors(Path fds) {
        try (Stream<Path> entries = Files.list(fds)) {
            return entries.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
