package io.loopbridge.netty;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Outcome;
import io.loopbridge.core.Task;
import io.loopbridge.core.sync.LoopEvent;
import io.loopbridge.testing.ReportedErrors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Streams} end to end over loopback: a server and its clients on loops with Netty I/O. The CPython 3.11
 * behaviour each test mirrors is above it (in {@code asyncio.run}; {@code start_server}/{@code open_connection} on
 * 127.0.0.1, port 0).
 */
@ExtendWith(NoLeaks.class)
class StreamsTest {

    static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    static String s(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }

    static int port(Server server) {
        return server.addresses().get(0).getPort();
    }

    /** An echo server: each line back until the end of the stream, then close. */
    static final Streams.ClientConnected ECHO_LINES = (reader, writer) -> {
        for (byte[] line = reader.readLine(); line.length > 0; line = reader.readLine()) {
            writer.write(line);
            writer.drain();
        }
        writer.close();
    };

    /*
     * async def echo(r, w): data = await r.read(100); w.write(data); await w.drain(); w.close(); await w.wait_closed()
     * r, w = await open_connection(...); w.write(b'hi'); await w.drain()
     * await r.read(100), await r.read(100), r.at_eof() -> b'hi' b'' True
     * w.get_extra_info('peername') -> ('127.0.0.1', port); w.get_extra_info('nope', 'dflt') -> 'dflt';
     * w.can_write_eof() -> True; w.is_closing() -> False
     * w.close(); w.is_closing() -> True; await w.drain() -> ConnectionResetError('Connection lost');
     * await w.wait_closed() returns; w.write(b'x') is ignored
     */
    @Test
    void anEchoServerAnswersAndTheClientSeesTheEndWhenTheServerCloses() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            try (Server server = Streams.startServer((r, w) -> {
                byte[] data = r.read(100);
                w.write(data);
                w.drain();
                w.close();
                w.waitClosed();
            }, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                StreamWriter w = c.writer();
                w.write(b("hi"));
                w.drain();
                out.add(s(c.reader().read(100)));
                out.add(s(c.reader().read(100)));
                out.add(c.reader().atEof());
                out.add(w.getExtraInfo("peername").equals(new InetSocketAddress("127.0.0.1", port(server))));
                out.add(w.remoteAddress().equals(w.getExtraInfo("peername")) && w.localAddress().equals(w.getExtraInfo("sockname")));
                out.add(w.getExtraInfo("nope", "dflt"));
                out.add(w.canWriteEof());
                out.add(w.isClosing());
                w.close();
                out.add(w.isClosing());
                try {
                    w.drain();
                    out.add("drained");
                } catch (SocketException e) {
                    out.add(e.getMessage());
                }
                w.waitClosed();
                w.write(b("x"));
                out.add("wait closed, write ignored");
            }
            return out;
        });
        assertThat(seen).containsExactly("hi", "", true, true, true, "dflt", true, false, true, "Connection lost",
                "wait closed, write ignored");
    }

    /*
     * A line protocol over one connection: each line written in pieces (drained one by one) comes back whole.
     * w.writelines([b'one\n', b'tw', b'o\nthree']); w.write(b'\n'); three readline() -> b'one\n' b'two\n' b'three\n'
     */
    @Test
    void aLineProtocolGetsWholeLinesBackHoweverTheyWereSplitOnTheWay() throws Exception {
        List<String> lines = IoLoops.run(() -> {
            try (Server server = Streams.startServer(ECHO_LINES, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                c.writer().writeLines(List.of(b("one\n"), b("tw")));
                c.writer().drain();
                c.writer().write(b("o\nthree"));
                c.writer().drain();
                c.writer().write(b("\n"));
                List<String> out = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    out.add(s(c.reader().readLine()));
                }
                c.writer().close();
                out.add(s(c.reader().read()));
                return out;
            }
        });
        assertThat(lines).containsExactly("one\n", "two\n", "three\n", "");
    }

    /*
     * The server reads readexactly(5), readuntil(b'--'), then readexactly(10) after the client's half-close:
     * client: for each byte of b'12345ab--xyz': w.write(byte); await w.drain(); w.write_eof()
     * server -> b'12345', b'ab--', IncompleteReadError('3 bytes read on a total of 10 expected bytes') partial b'xyz'
     * (after write_eof the client can still read what the server answers)
     */
    @Test
    void readExactlyAndReadUntilCollectBytesThatArriveOneAtATimeAndTheEndGivesAnIncompleteRead() throws Exception {
        String answer = IoLoops.run(() -> {
            try (Server server = Streams.startServer((r, w) -> {
                String first = s(r.readExactly(5));
                String second = s(r.readUntil(b("--")));
                String third;
                try {
                    third = s(r.readExactly(10));
                } catch (IncompleteReadException e) {
                    third = e.getMessage() + " " + s(e.partial());
                }
                w.write(b(first + "|" + second + "|" + third));
                w.close();
            }, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                for (byte one : b("12345ab--xyz")) {
                    c.writer().write(new byte[] {one});
                    c.writer().drain();
                }
                c.writer().writeEof();
                boolean closingAfterEof = c.writer().isClosing();
                return s(c.reader().read()) + " closing:" + closingAfterEof;
            }
        });
        assertThat(answer).isEqualTo("12345|ab--|3 bytes read on a total of 10 expected bytes xyz closing:false");
    }

    /*
     * start_server(cb, limit=8): the client sends b'0123456789abc\nok\n'
     * cb: await r.readline() -> ValueError('Separator is found, but chunk is longer than limit'); await r.readline() -> b'ok\n'
     */
    @Test
    void aLineOverTheServersLimitIsRefusedAndTheNextLineStillArrives() throws Exception {
        String answer = IoLoops.run(() -> {
            try (Server server = Streams.startServer((r, w) -> {
                String verdict;
                try {
                    verdict = s(r.readLine());
                } catch (LimitOverrunException e) {
                    verdict = e.getMessage() + " (" + e.consumed() + ")";
                }
                w.write(b(verdict + " then " + s(r.readLine())));
                w.close();
            }, "127.0.0.1", 0, null, 8)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                c.writer().write(b("0123456789abc\nok\n"));
                return s(c.reader().read());
            }
        });
        assertThat(answer).isEqualTo("Separator is found, but chunk is longer than limit (13) then ok\n");
    }

    /*
     * A writer that writes 64 KiB chunks and drains after each, to a client that does not read:
     * the client's reader stops reading past 2 x limit, the socket buffers fill, and the writer's drain() suspends
     * (in CPython: the transport calls pause_writing() past its high-water mark, drain() awaits the waiter);
     * once the client reads, drain() returns and every byte arrives.
     */
    @Test
    void aSlowReaderMakesTheWritersDrainSuspendUntilItReads() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            AtomicBoolean inDrain = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            LoopFuture<StreamWriter> serverWriter = Aio.getRunningLoop().createFuture();
            byte[] chunk = new byte[64 * 1024];
            try (Server server = Streams.startServer((r, w) -> {
                serverWriter.setResult(w);
                while (!stop.get()) {
                    w.write(chunk);
                    sent.addAndGet(chunk.length);
                    inDrain.set(true);
                    w.drain();
                    inDrain.set(false);
                }
                w.close();
            }, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server), null, 1024);
                StreamWriter w = serverWriter.await();
                IoLoops.until(() -> inDrain.get() && !w.channel().isWritable());
                out.add("server suspended in drain");
                out.add("client reader paused: " + (c.reader().isPaused() && !c.writer().channel().config().isAutoRead()));
                out.add("client has less than was sent: " + (c.reader().buffered() < sent.get()));
                stop.set(true);
                long received = c.reader().read().length;
                out.add("drain returned: " + !inDrain.get());
                out.add("received all: " + (received == sent.get()));
            }
            return out;
        });
        assertThat(seen).containsExactly("server suspended in drain", "client reader paused: true",
                "client has less than was sent: true", "drain returned: true", "received all: true");
    }

    /*
     * A server callback that does not read yet, limit 16 KiB; the client writes 64 KiB chunks, draining:
     * the server's reader buffers a little over 2 x limit and stops the channel reading (CPython:
     * transport.pause_reading()), so the client's drain() suspends; once the server reads, reading resumes
     * (resume_reading()) and every byte arrives.
     */
    @Test
    void aReaderPastTwiceItsLimitStopsItsConnectionReadingUntilItIsReadDown() throws Exception {
        int limit = 16 * 1024;
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            LoopEvent startReading = new LoopEvent();
            LoopFuture<Streams.Connection> serverSide = Aio.getRunningLoop().createFuture();
            LoopFuture<Long> serverReceived = Aio.getRunningLoop().createFuture();
            AtomicBoolean inDrain = new AtomicBoolean();
            try (Server server = Streams.startServer((r, w) -> {
                serverSide.setResult(new Streams.Connection(r, w));
                startReading.await();
                long n = 0;
                for (byte[] block = r.read(limit); block.length > 0; block = r.read(limit)) {
                    n += block.length;
                }
                serverReceived.setResult(n);
                w.close();
            }, "127.0.0.1", 0, null, limit)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                Streams.Connection s = serverSide.await();
                byte[] chunk = new byte[64 * 1024];
                long sent = 0;
                Task<Void> writer = null;
                AtomicLong written = new AtomicLong();
                writer = Aio.createTask(() -> {
                    for (int i = 0; i < 1024; i++) { // far more than any socket buffer
                        c.writer().write(chunk);
                        written.addAndGet(chunk.length);
                        inDrain.set(true);
                        c.writer().drain();
                        inDrain.set(false);
                        if (startReading.isSet()) {
                            break;
                        }
                    }
                    c.writer().writeEof();
                    return null;
                });
                IoLoops.until(() -> inDrain.get() && !c.writer().channel().isWritable());
                int buffered = s.reader().buffered();
                out.add("server paused: " + (s.reader().isPaused() && !s.writer().channel().config().isAutoRead()));
                out.add("buffered just past 2 x limit: " + (buffered > 2 * limit && buffered <= 2 * limit + 256 * 1024));
                startReading.set();
                writer.await();
                sent = written.get();
                out.add("received all: " + (serverReceived.await() == sent));
                out.add("reading again: " + s.writer().channel().config().isAutoRead());
                c.reader().read();
            }
            return out;
        });
        assertThat(seen).containsExactly("server paused: true", "buffered just past 2 x limit: true", "received all: true",
                "reading again: true");
    }

    /*
     * async def halfclose(r, w): data = await r.read(); w.write(b'got ' + data); await w.drain(); w.close()
     * w.write(b'abc'); w.write_eof(); w.is_closing() -> False; await r.read() -> b'got abc'
     * A server that writes b'bye' and closes: await r.read(100) -> b'bye'; await r.read(100) -> b''; r.at_eof() -> True
     */
    @Test
    void aPeerThatClosesGivesTheRestThenTheEndAndAHalfClosedPeerStillAnswers() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            try (Server halfClose = Streams.startServer((r, w) -> {
                byte[] data = r.read();
                w.write(b("got " + s(data)));
                w.drain();
                w.close();
            }, "127.0.0.1", 0);
                 Server bye = Streams.startServer((r, w) -> {
                     w.write(b("bye"));
                     w.close();
                 }, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(halfClose));
                c.writer().write(b("abc"));
                c.writer().writeEof();
                out.add(c.writer().isClosing());
                out.add(s(c.reader().read()));
                c.writer().close();
                Streams.Connection d = Streams.openConnection("127.0.0.1", port(bye));
                out.add(s(d.reader().read(100)));
                out.add(s(d.reader().read(100)));
                out.add(d.reader().atEof());
                d.writer().close();
                d.writer().waitClosed();
            }
            return out;
        });
        assertThat(seen).containsExactly(false, "got abc", "bye", "", true);
    }

    /*
     * await open_connection('127.0.0.1', port_with_no_listener)
     * -> ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', port)
     */
    @Test
    void aRefusedConnectionThrowsConnectExceptionNamingTheAddress() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            freePort = s.getLocalPort();
        }
        Throwable refused = IoLoops.run(() -> {
            try {
                Streams.openConnection("127.0.0.1", freePort);
                return null;
            } catch (ConnectException e) {
                return e;
            }
        });
        assertThat(refused).isInstanceOf(ConnectException.class).hasMessageContaining("Connection refused")
                .hasMessageContaining("127.0.0.1:" + freePort);
    }

    /*
     * srv.close(): srv.is_serving() -> False, srv.sockets -> (); a new connection is refused; an open one keeps
     * working; await srv.wait_closed() waits until it is closed (3.12; 3.11 returned at once)
     */
    @Test
    void closeStopsListeningLeavesOpenConnectionsAndWaitClosedWaitsForThem() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            Server server = Streams.startServer(ECHO_LINES, "127.0.0.1", 0);
            int port = port(server);
            out.add(server.isServing());
            Streams.Connection c = Streams.openConnection("127.0.0.1", port);
            c.writer().write(b("before\n"));
            out.add(s(c.reader().readLine()));
            server.close();
            out.add(server.isServing());
            out.add(server.addresses());
            Task<Void> waiting = Aio.createTask(() -> {
                server.waitClosed();
                return null;
            });
            try {
                Streams.openConnection("127.0.0.1", port);
                out.add("connected");
            } catch (ConnectException e) {
                out.add("refused");
            }
            c.writer().write(b("after\n"));
            out.add(s(c.reader().readLine()));
            out.add("waitClosed done while a connection is open: " + waiting.isDone());
            c.writer().close();
            waiting.await();
            out.add("waitClosed done");
            server.waitClosed();
            return out;
        });
        assertThat(seen).containsExactly(true, "before\n", false, List.of(), "refused", "after\n",
                "waitClosed done while a connection is open: false", "waitClosed done");
    }

    /*
     * t = create_task(srv.serve_forever()); await sleep(0); await srv.serve_forever()
     * -> RuntimeError: server <Server sockets=(...)> is already being awaited on serve_forever()
     * t.cancel(); await t -> CancelledError; srv.is_serving() -> False
     * await srv.serve_forever() -> RuntimeError: server <Server sockets=()> is closed
     * srv2: t = create_task(srv2.serve_forever()); await sleep(0); srv2.close(); await t -> CancelledError
     */
    @Test
    void serveForeverRunsUntilCancelledOrClosedThenTheServerIsClosed() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            Server server = Streams.startServer(ECHO_LINES, "127.0.0.1", 0);
            Task<Void> forever = Aio.createTask(() -> {
                server.serveForever();
                return null;
            });
            Aio.sleep(Duration.ZERO);
            try {
                server.serveForever();
            } catch (IllegalStateException e) {
                out.add(e.getMessage().replaceAll("sockets=\\[[^\\]]*\\]", "sockets=[...]"));
            }
            forever.cancel();
            Outcome<?> outcome = Aio.gatherSettled(List.of(forever)).await().get(0);
            out.add(outcome instanceof Outcome.Failure<?> f && f.error() instanceof CancellationException);
            out.add(server.isServing());
            try {
                server.serveForever();
            } catch (IllegalStateException e) {
                out.add(e.getMessage());
            }
            Server second = Streams.startServer(ECHO_LINES, "127.0.0.1", 0);
            Task<Void> forever2 = Aio.createTask(() -> {
                second.serveForever();
                return null;
            });
            Aio.sleep(Duration.ZERO);
            second.close();
            Outcome<?> closed = Aio.gatherSettled(List.of(forever2)).await().get(0);
            out.add(closed instanceof Outcome.Failure<?> f && f.error() instanceof CancellationException);
            return out;
        });
        assertThat(seen).containsExactly("server Server[sockets=[...]] is already being awaited on serveForever()", true,
                false, "server Server[sockets=[]] is closed", true);
    }

    /*
     * 3.13: srv.close_clients() closes the accepted connections (the clients read b''); srv.abort_clients() too,
     * dropping what was not sent; then await srv.wait_closed() returns.
     */
    @Test
    void closeClientsAndAbortClientsEndTheAcceptedConnections() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            Server server = Streams.startServer((r, w) -> {
                w.write(b("hello\n"));
                r.read(); // until the end: the server does not close
            }, "127.0.0.1", 0);
            Streams.Connection a = Streams.openConnection("127.0.0.1", port(server));
            Streams.Connection b = Streams.openConnection("127.0.0.1", port(server));
            out.add(s(a.reader().readLine()) + s(b.reader().readLine()));
            out.add(server.connectionCount());
            server.close();
            server.closeClients();
            out.add(s(a.reader().read()) + s(b.reader().read()) + "ended");
            server.waitClosed();
            out.add(server.connectionCount());
            a.writer().close();
            b.writer().close();

            Server aborting = Streams.startServer((r, w) -> r.read(), "127.0.0.1", 0);
            Streams.Connection c = Streams.openConnection("127.0.0.1", port(aborting));
            IoLoops.until(() -> aborting.connectionCount() == 1);
            aborting.close();
            aborting.abortClients();
            out.add(s(c.reader().read()) + "aborted");
            aborting.waitClosed();
            c.writer().close();
            return out;
        });
        assertThat(seen).containsExactly("hello\nhello\n", 2, "ended", 0, "aborted");
    }

    /*
     * loop.set_exception_handler(...); async def boom(r, w): raise ValueError('boom')
     * the client reads b'' (the connection was closed); the handler got 'Unhandled exception in client_connected_cb'
     */
    @Test
    void aCallbackThatFailsIsReportedToTheLoopsHandlerAndItsConnectionClosed() throws Exception {
        ReportedErrors reported = new ReportedErrors();
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        String read = IoLoops.run(EventLoop.builder().name("failing").io(NettyIo.nio()).exceptionHandler(reported), () -> {
            try (Server server = Streams.startServer((r, w) -> {
                throw boom;
            }, "127.0.0.1", 0)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                String data = s(c.reader().read());
                c.writer().close();
                return data;
            }
        });
        assertThat(read).isEmpty();
        assertThat(reported.messages()).containsExactly("Unhandled exception in client_connected_cb");
        assertThat(reported.all().get(0).exception()).isSameAs(boom);
    }

    /**
     * Java's pool server ({@code start_server} has no pool): connections spread over the pool's loops; each
     * callback runs on its channel's loop, and its writes, made from the coroutine, reach Netty on that loop's own
     * platform thread (seen by an outbound handler), not on the coroutine's virtual thread.
     */
    @Test
    void aPoolServerSpreadsConnectionsOverItsLoopsAndServesEachOnItsChannelsLoopThread() throws Exception {
        try (LoopPool pool = LoopPool.builder().name("streams-pool").loops(2).loopDefaults(b -> b.io(NettyIo.nio())).build()) {
            List<String> answers = IoLoops.run(() -> {
                try (Server server = Streams.startServer((r, w) -> {
                    EventLoop loop = Aio.getRunningLoop();
                    List<Thread> writeThreads = new CopyOnWriteArrayList<>();
                    w.channel().pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
                        @Override
                        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                            writeThreads.add(Thread.currentThread());
                            ctx.write(msg, promise);
                        }
                    });
                    boolean channelsLoop = w.loop() == loop && r.loop() == loop
                            && ((LoopIoEventLoop) w.channel().eventLoop()).loop() == loop
                            && w.channel().eventLoop().inEventLoop(loop.thread());
                    w.write(b("hello\n"));
                    w.drain();
                    boolean writesOnLoopThread = !writeThreads.isEmpty()
                            && writeThreads.stream().allMatch(t -> t == loop.thread());
                    w.write(b(loop.name() + " channel's loop " + channelsLoop + ", writes on its thread "
                            + writesOnLoopThread + "\n"));
                    w.close();
                }, pool, "127.0.0.1", 0)) {
                    List<String> out = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        Streams.Connection c = Streams.openConnection("127.0.0.1", port(server));
                        assertThat(s(c.reader().readLine())).isEqualTo("hello\n");
                        out.add(s(c.reader().readLine()).trim());
                        c.writer().close();
                    }
                    return out;
                }
            });
            Set<String> loops = new TreeSet<>();
            for (String answer : answers) {
                assertThat(answer).endsWith(" channel's loop true, writes on its thread true");
                loops.add(answer.substring(0, answer.indexOf(' ')));
            }
            assertThat(loops).as("the pool's loops").hasSize(2)
                    .allSatisfy(name -> assertThat(name).startsWith("streams-pool"));
        }
    }

    /** From a thread without a loop, the pool server's start blocks until it listens, and it serves. */
    @Test
    void aPoolServerStartedFromAPlainThreadServes() throws Exception {
        try (LoopPool pool = LoopPool.builder().name("plain-start").loops(1).loopDefaults(b -> b.io(NettyIo.nio())).build();
             Server server = Streams.startServer(ECHO_LINES, pool, "127.0.0.1", 0)) {
            assertThat(server.isServing()).isTrue();
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", port(server))) {
                client.getOutputStream().write(b("ping\n"));
                assertThat(s(client.getInputStream().readNBytes(5))).isEqualTo("ping\n");
            }
        }
    }

    /** The README's Streams example, as written there: an echo server and its client on one loop. */
    @Test
    void theReadmeStreamsExampleEchoesALineAndLeavesNoTaskBehind() throws Exception {
        EventLoop loop = EventLoop.builder().io(NettyIo.nio()).build();
        String reply = loop.runUntilComplete(() -> {
            Server server = Streams.startServer((reader, writer) -> {         // a task per connection, on its loop
                for (byte[] line = reader.readLine(); line.length > 0; line = reader.readLine()) {
                    writer.write(line);                                       // each line back
                    writer.drain();                                           // suspends while the peer is slow to read
                }
                writer.close();
            }, "127.0.0.1", 0);                                               // 0: any free port
            int port = server.addresses().get(0).getPort();
            Streams.Connection client = Streams.openConnection("127.0.0.1", port);
            client.writer().write("ping\n".getBytes(StandardCharsets.UTF_8));
            String answer = new String(client.reader().readLine(), StandardCharsets.UTF_8);   // "ping\n"
            client.writer().close();
            server.close();                                                   // stops listening
            server.waitClosed();                                              // and waits for its connections to close
            return answer;
        });
        assertThat(loop.allTasks()).as("tasks left when the loop closes").isEmpty();
        loop.close();
        assertThat(reply).isEqualTo("ping\n");
    }
}
