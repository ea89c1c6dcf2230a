package io.loopbridge.netty;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.core.Aio;
import io.loopbridge.core.Task;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamReader} without a socket: bytes, the end and errors fed by hand, as asyncio's own tests do. The CPython
 * 3.11 behaviour each test mirrors is above it (run with {@code asyncio.run}).
 */
class StreamReaderTest {

    private static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }

    /*
     * r = StreamReader(); r.feed_data(b'hello world'); r.feed_eof()
     * await r.read(5), await r.read(0), await r.read(-1), await r.read(3), r.at_eof()
     * -> b'hello' b'' b' world' b'' True
     */
    @Test
    void readReturnsUpToNBytesNothingForZeroTheRestForMinusOneAndEmptyAtTheEnd() throws Exception {
        List<String> seen = Aio.run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(b("hello world"));
            r.feedEof();
            return List.of(s(r.read(5)), s(r.read(0)), s(r.read(-1)), s(r.read(3)), String.valueOf(r.atEof()));
        });
        assertThat(seen).containsExactly("hello", "", " world", "", "true");
    }

    /*
     * r.feed_data(b'x'); r.at_eof() -> False; r.feed_eof(); r.at_eof() -> False; await r.read(1); r.at_eof() -> True
     */
    @Test
    void atEofIsTrueOnlyOnceTheEndWasFedAndEveryByteRead() throws Exception {
        List<Boolean> seen = Aio.run(() -> {
            StreamReader r = new StreamReader();
            List<Boolean> out = new ArrayList<>();
            r.feedData(b("x"));
            out.add(r.atEof());
            r.feedEof();
            out.add(r.atEof());
            r.read(1);
            out.add(r.atEof());
            return out;
        });
        assertThat(seen).containsExactly(false, false, true);
    }

    /*
     * r.feed_data(b'ab\ncd'); r.feed_eof(); [await r.readline() for _ in range(3)] -> [b'ab\n', b'cd', b'']
     */
    @Test
    void readLineReturnsEachLineThenWhatIsLeftWithoutANewlineThenEmpty() throws Exception {
        List<String> lines = Aio.run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(b("ab\ncd"));
            r.feedEof();
            return List.of(s(r.readLine()), s(r.readLine()), s(r.readLine()));
        });
        assertThat(lines).containsExactly("ab\n", "cd", "");
    }

    /*
     * r = StreamReader(limit=3); r.feed_data(b'ab\n'); await r.readline() -> b'ab\n'   (the limit leaves out '\n')
     * r = StreamReader(limit=4); r.feed_data(b'abcdefgh\nxy\n'); await r.readline()
     * -> ValueError('Separator is found, but chunk is longer than limit'); buffer left: b'xy\n'
     */
    @Test
    void readLineOverTheLimitDiscardsThatLineAndThrowsAndTheNextLineReadsOn() throws Exception {
        List<String> seen = Aio.run(() -> {
            StreamReader atLimit = new StreamReader(3);
            atLimit.feedData(b("ab\n"));
            StreamReader r = new StreamReader(4);
            r.feedData(b("abcdefgh\nxy\n"));
            LimitOverrunException e = null;
            try {
                r.readLine();
            } catch (LimitOverrunException overrun) {
                e = overrun;
            }
            return List.of(s(atLimit.readLine()), e.getMessage(), String.valueOf(e.consumed()), s(r.readLine()));
        });
        assertThat(seen).containsExactly("ab\n", "Separator is found, but chunk is longer than limit", "8", "xy\n");
    }

    /*
     * r = StreamReader(limit=4); r.feed_data(b'abcdefgh'); await r.readline()
     * -> ValueError('Separator is not found, and chunk exceed the limit'); buffer left: b''
     */
    @Test
    void readLineOverTheLimitWithNoNewlineYetDiscardsEverythingBuffered() throws Exception {
        List<String> seen = Aio.run(() -> {
            StreamReader r = new StreamReader(4);
            r.feedData(b("abcdefgh"));
            String message = null;
            try {
                r.readLine();
            } catch (LimitOverrunException e) {
                message = e.getMessage();
            }
            r.feedData(b("ij\n"));
            return List.of(message, s(r.readLine()));
        });
        assertThat(seen).containsExactly("Separator is not found, and chunk exceed the limit", "ij\n");
    }

    /*
     * r = StreamReader(limit=4); r.feed_data(b'abcdefgh\n'); await r.readuntil(b'\n')
     * -> LimitOverrunError('Separator is found, but chunk is longer than limit') consumed=8, buffer b'abcdefgh\n'
     * r = StreamReader(limit=4); r.feed_data(b'abcdefgh'); await r.readuntil(b'\n')
     * -> LimitOverrunError('Separator is not found, and chunk exceed the limit') consumed=8, buffer b'abcdefgh'
     */
    @Test
    void readUntilOverTheLimitThrowsWithTheConsumedCountAndLeavesTheBytesToReadOtherwise() throws Exception {
        List<String> seen = Aio.run(() -> {
            List<String> out = new ArrayList<>();
            for (String fed : List.of("abcdefgh\n", "abcdefgh")) {
                StreamReader r = new StreamReader(4);
                r.feedData(b(fed));
                try {
                    r.readUntil(b("\n"));
                } catch (LimitOverrunException e) {
                    out.add(e.getMessage() + " " + e.consumed());
                }
                out.add(s(r.readExactly(fed.length())));
            }
            return out;
        });
        assertThat(seen).containsExactly("Separator is found, but chunk is longer than limit 8", "abcdefgh\n",
                "Separator is not found, and chunk exceed the limit 8", "abcdefgh");
    }

    /*
     * r.feed_data(b'abc=='); r.feed_eof(); await r.readuntil(b'===')
     * -> IncompleteReadError: 5 bytes read on a total of undefined expected bytes; partial b'abc==', expected None;
     *    r.at_eof() -> True
     */
    @Test
    void readUntilAtTheEndThrowsIncompleteReadWithEverythingBufferedAndNoExpectedCount() throws Exception {
        List<Object> seen = Aio.run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(b("abc=="));
            r.feedEof();
            try {
                r.readUntil(b("==="));
                return List.of();
            } catch (IncompleteReadException e) {
                return List.of(e.getMessage(), s(e.partial()), e.expected().isPresent(), r.atEof());
            }
        });
        assertThat(seen).containsExactly("5 bytes read on a total of undefined expected bytes", "abc==", false, true);
    }

    /*
     * r.feed_data(b'abcSE'); t = create_task(r.readuntil(b'SEP')); await sleep(0); t.done() -> False
     * r.feed_data(b'P'); await t -> b'abcSEP'
     */
    @Test
    void aSeparatorSplitAcrossTwoFeedsIsFound() throws Exception {
        List<Object> seen = Aio.run(() -> {
            StreamReader r = new StreamReader(3);
            r.feedData(b("abcSE"));
            Task<byte[]> t = Aio.createTask(() -> r.readUntil(b("SEP")));
            Aio.sleep(Duration.ZERO);
            boolean doneEarly = t.isDone();
            r.feedData(b("P"));
            return List.of(doneEarly, s(t.await()));
        });
        assertThat(seen).containsExactly(false, "abcSEP");
    }

    /*
     * r.feed_data(b'abc'); r.feed_eof(); await r.readexactly(5)
     * -> IncompleteReadError: 3 bytes read on a total of 5 expected bytes; partial b'abc', expected 5; at_eof() True
     */
    @Test
    void readExactlyAtTheEndThrowsIncompleteReadWithThePartialBytesAndTheExpectedCount() throws Exception {
        List<Object> seen = Aio.run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(b("abc"));
            r.feedEof();
            try {
                r.readExactly(5);
                return List.of();
            } catch (IncompleteReadException e) {
                return List.of(e.getMessage(), s(e.partial()), e.expected().getAsInt(), r.atEof());
            }
        });
        assertThat(seen).containsExactly("3 bytes read on a total of 5 expected bytes", "abc", 5, true);
    }

    /*
     * r.feed_data(b'abc'); r.set_exception(ConnectionResetError('reset'))
     * await r.read(2) -> ConnectionResetError('reset') (the bytes stay buffered); await r.readexactly(0) -> the same
     * t = create_task(r.read(10)); await sleep(0); r.set_exception(e) -> await t raises e
     */
    @Test
    void theConnectionsErrorIsThrownByEveryReadEvenWithBytesBufferedAndWakesAWaitingRead() throws Exception {
        SocketException reset = new SocketException("reset");
        List<Object> seen = Aio.run(() -> {
            List<Object> out = new ArrayList<>();
            StreamReader r = new StreamReader();
            r.feedData(b("abc"));
            r.setException(reset);
            for (Task<byte[]> read : List.of(Aio.createTask(() -> r.read(2)), Aio.createTask(() -> r.readExactly(0)),
                    Aio.createTask(r::readLine))) {
                out.add(Aio.gatherSettled(List.of(read)).await().get(0));
            }
            StreamReader waiting = new StreamReader();
            Task<byte[]> t = Aio.createTask(() -> waiting.read(10));
            Aio.sleep(Duration.ZERO);
            waiting.setException(reset);
            out.add(Aio.gatherSettled(List.of(t)).await().get(0));
            out.add(r.exception());
            return out;
        });
        assertThat(seen).hasSize(5).last().isSameAs(reset);
        assertThat(seen.subList(0, 4)).allSatisfy(outcome ->
                assertThat(((io.loopbridge.core.Outcome.Failure<?>) outcome).error()).isSameAs(reset));
    }

    /*
     * t = create_task(r.read(10)); await sleep(0); r.feed_eof(); await t -> b''
     */
    @Test
    void theEndWakesAWaitingReadWithNothing() throws Exception {
        byte[] read = Aio.run(() -> {
            StreamReader r = new StreamReader();
            Task<byte[]> t = Aio.createTask(() -> r.read(10));
            Aio.sleep(Duration.ZERO);
            r.feedEof();
            return t.await();
        });
        assertThat(read).isEmpty();
    }

    /*
     * t = create_task(r.read(10)); await sleep(0); await r.read(1)
     * -> RuntimeError('read() called while another coroutine is already waiting for incoming data')
     */
    @Test
    void aSecondReadWhileOneWaitsFailsAndTheFirstStillGetsTheBytes() throws Exception {
        List<String> seen = Aio.run(() -> {
            StreamReader r = new StreamReader();
            Task<byte[]> first = Aio.createTask(() -> r.read(10));
            Aio.sleep(Duration.ZERO);
            String message = null;
            try {
                r.readLine();
            } catch (IllegalStateException e) {
                message = e.getMessage();
            }
            r.feedData(b("mine"));
            return List.of(message, s(first.await()));
        });
        assertThat(seen).containsExactly(
                "readLine() called while another coroutine is already waiting for incoming data", "mine");
    }

    /*
     * t = create_task(r.readexactly(4)); await sleep(0); r.feed_data(b'ab'); await sleep(0); t.cancel(); await t
     * -> CancelledError; r.feed_data(b'cd'); await r.readexactly(4) -> b'abcd'
     * t = create_task(r.read(10)); ... t.cancel(); r.feed_data(b'kept'); await r.read(10) -> b'kept'
     */
    @Test
    void aReadCancelledWhileItWaitsLosesNoBytes() throws Exception {
        List<String> seen = Aio.run(() -> {
            List<String> out = new ArrayList<>();
            StreamReader r = new StreamReader();
            Task<byte[]> exactly = Aio.createTask(() -> r.readExactly(4));
            Aio.sleep(Duration.ZERO);
            r.feedData(b("ab"));
            Aio.sleep(Duration.ZERO);
            exactly.cancel();
            try {
                exactly.await();
            } catch (CancellationException expected) {
                out.add("cancelled");
            }
            r.feedData(b("cd"));
            out.add(s(r.readExactly(4)));
            Task<byte[]> read = Aio.createTask(() -> r.read(10));
            Aio.sleep(Duration.ZERO);
            read.cancel();
            Aio.gatherSettled(List.of(read)).await();
            r.feedData(b("kept"));
            out.add(s(r.read(10)));
            return out;
        });
        assertThat(seen).containsExactly("cancelled", "abcd", "kept");
    }

    /*
     * A transport that logs pause_reading/resume_reading; r = StreamReader(limit=4); r.set_transport(t)
     * feed 8 bytes, 1, 1; read 3; read 3; feed 5; readexactly(20) waits; feed 11
     * -> ['fed 8', 'pause', 'fed 9', 'fed 10', 'read 3 -> 7 left', 'resume', 'read 3 -> 4 left', 'pause',
     *     'fed 5 -> 9', 'resume', 'readexactly(20) waits', 'pause', 'fed 11 -> done False', 'resume', '20 bytes']
     * (pauses past 2 x limit, resumes at <= limit, and a read that must wait for more resumes a paused stream)
     */
    @Test
    void theReaderPausesItsConnectionPastTwiceTheLimitAndResumesAtTheLimitOrWhenAReadMustWait() throws Exception {
        List<String> log = Aio.run(() -> {
            List<String> out = new ArrayList<>();
            StreamReader r = new StreamReader(4);
            r.setFlow(new StreamReader.ReadFlow() {
                @Override
                public void pauseReading() {
                    out.add("pause");
                }

                @Override
                public void resumeReading() {
                    out.add("resume");
                }
            });
            r.feedData(b("12345678"));
            out.add("fed 8");
            r.feedData(b("9"));
            out.add("fed 9");
            r.feedData(b("0"));
            out.add("fed 10");
            r.read(3);
            out.add("read 3 -> 7 left");
            r.read(3);
            out.add("read 3 -> 4 left");
            r.feedData(b("abcde"));
            out.add("fed 5 -> 9");
            Task<byte[]> t = Aio.createTask(() -> r.readExactly(20));
            Aio.sleep(Duration.ZERO);
            out.add("readExactly(20) waits");
            r.feedData(b("x".repeat(11)));
            out.add("fed 11 -> done " + t.isDone());
            out.add(t.await().length + " bytes");
            return out;
        });
        assertThat(log).containsExactly("fed 8", "pause", "fed 9", "fed 10", "read 3 -> 7 left", "resume",
                "read 3 -> 4 left", "pause", "fed 5 -> 9", "resume", "readExactly(20) waits", "pause",
                "fed 11 -> done false", "resume", "20 bytes");
    }

    /*
     * r.feed_data(b''): nothing buffered, no waiter woken; r.feed_eof(); r.feed_data(b'x')
     * -> AssertionError('feed_data after feed_eof')
     */
    @Test
    void feedingAfterTheEndFails() throws Exception {
        String message = Aio.run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(new byte[0]);
            r.feedEof();
            try {
                r.feedData(b("x"));
                return "fed";
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
        });
        assertThat(message).isEqualTo("feedData after feedEof");
    }

    /** Java's reader is confined to its loop: another thread gets a message naming the loop. */
    @Test
    void aReaderUsedFromAnotherThreadFailsNamingItsLoop() throws Exception {
        StreamReader r = Aio.run(() -> {
            StreamReader reader = new StreamReader();
            java.util.concurrent.CompletableFuture<Throwable> other = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    reader.feedData(b("x"));
                    other.complete(null);
                } catch (Throwable e) {
                    other.complete(e);
                }
            }, "other-thread");
            t.start();
            t.join();
            assertThat(other.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("StreamReader.feedData() called from thread 'other-thread'")
                    .hasMessageContaining("call it from a coroutine on that loop");
            return reader;
        });
        assertThat(r.limit()).isEqualTo(Streams.DEFAULT_LIMIT);
        assertThatThrownBy(StreamReader::new).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no running event loop");
    }
}
