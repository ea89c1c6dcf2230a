package io.loopbridge.netty;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * The bytes a connection received, read by a coroutine: asyncio's {@code StreamReader}. {@link Streams} makes one
 * per connection and feeds it from the connection's Netty channel, on the channel's loop; it can also be made and
 * fed by hand ({@link #feedData}, {@link #feedEof}, {@link #setException}), as in asyncio.
 *
 * <p>The reads ({@link #read}, {@link #readLine}, {@link #readExactly}, {@link #readUntil}) suspend the calling
 * task until enough bytes arrived, never the loop thread. One task reads at a time: a second read while one waits
 * fails. A read that is cancelled while it waits leaves the stream as it was: what arrives stays buffered for the
 * next read. The limit bounds a line ({@link #readLine}, {@link #readUntil}); the reader also stops the connection
 * reading (Netty's auto-read off) once it buffers more than twice the limit, and starts it again when a read takes
 * it down to the limit or waits for more, as asyncio does.
 *
 * <p>Thread-safety: loop thread only (the loop it was made on; a coroutine of that loop counts); the reads only
 * inside a coroutine.
 */
public final class StreamReader {
    /** A drained buffer larger than this many limits is let go, rather than kept for the next burst. */
    private static final int KEEP_LIMITS = 4;
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] NEWLINE = {'\n'};

    /** What the reader needs of its connection: asyncio's {@code pause_reading} and {@code resume_reading}. */
    interface ReadFlow {
        void pauseReading();

        void resumeReading();
    }

    private final EventLoop loop;
    private final int limit;
    /** The buffered bytes are {@code buffer[head, tail)}. */
    private byte[] buffer = EMPTY;
    private int head;
    private int tail;
    private boolean eof;
    private LoopFuture<Void> waiter;
    private Throwable exception;
    private ReadFlow flow;
    private boolean paused;

    /** A reader on the running loop with the default limit ({@link Streams#DEFAULT_LIMIT}). Loop thread only. */
    public StreamReader() {
        this(Streams.DEFAULT_LIMIT);
    }

    /**
     * A reader on the running loop: {@code asyncio.StreamReader(limit)}. Loop thread only.
     *
     * @throws IllegalArgumentException if {@code limit <= 0}
     * @throws IllegalStateException if no loop runs on this thread
     */
    public StreamReader(int limit) {
        this(Aio.getRunningLoop(), limit);
    }

    StreamReader(EventLoop loop, int limit) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.limit = checkLimit(limit);
    }

    static int checkLimit(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("Limit cannot be <= 0: " + limit);
        }
        return limit;
    }

    /** The limit this reader was made with. Any thread. */
    public int limit() {
        return limit;
    }

    /** The loop this reader belongs to. Any thread. */
    public EventLoop loop() {
        return loop;
    }

    void setFlow(ReadFlow flow) {
        this.flow = flow;
    }

    /** Whether the reader has stopped its connection reading (it buffers more than twice its limit). */
    boolean isPaused() {
        return paused;
    }

    /** How many bytes are buffered. Loop thread only. */
    int buffered() {
        return tail - head;
    }

    // ---- fed by the connection ------------------------------------------------------------------

    /** The connection's error, or null: {@code exception()}. Loop thread only. */
    public Throwable exception() {
        checkThread("exception");
        return exception;
    }

    /**
     * Records the connection's error and wakes a waiting read with it; every later read throws it:
     * {@code set_exception}. Loop thread only.
     */
    public void setException(Throwable exception) {
        Objects.requireNonNull(exception, "exception");
        checkThread("setException");
        this.exception = exception;
        LoopFuture<Void> w = waiter;
        if (w != null) {
            waiter = null;
            if (!w.isDone()) {
                w.setException(exception);
            }
        }
    }

    /** Marks the end of the stream and wakes a waiting read: {@code feed_eof}. Loop thread only. */
    public void feedEof() {
        checkThread("feedEof");
        eof = true;
        wakeUpWaiter();
    }

    /** Whether the stream ended and every byte was read: {@code at_eof()}. Loop thread only. */
    public boolean atEof() {
        checkThread("atEof");
        return eof && head == tail;
    }

    /**
     * Appends {@code data} (copied) and wakes a waiting read: {@code feed_data}. Loop thread only.
     *
     * @throws IllegalStateException after {@link #feedEof}
     */
    public void feedData(byte[] data) {
        Objects.requireNonNull(data, "data");
        checkThread("feedData");
        checkNotEof();
        if (data.length == 0) {
            return;
        }
        System.arraycopy(data, 0, room(data.length), tail, data.length);
        tail += data.length;
        fed();
    }

    /** Appends the readable bytes of {@code data}, copied; the caller keeps (and releases) it. Loop thread only. */
    void feedData(ByteBuf data) {
        checkNotEof();
        int n = data.readableBytes();
        if (n == 0) {
            return;
        }
        data.readBytes(room(n), tail, n);
        tail += n;
        fed();
    }

    private void checkNotEof() {
        if (eof) {
            throw new IllegalStateException("feedData after feedEof");
        }
    }

    private void fed() {
        wakeUpWaiter();
        if (flow != null && !paused && tail - head > 2L * limit) {
            paused = true;
            flow.pauseReading();
        }
    }

    private void wakeUpWaiter() {
        LoopFuture<Void> w = waiter;
        if (w != null) {
            waiter = null;
            if (!w.isDone()) {
                w.setResult(null);
            }
        }
    }

    private void maybeResume() {
        if (paused && tail - head <= limit) {
            paused = false;
            flow.resumeReading();
        }
    }

    /** Waits for {@code feedData}, {@code feedEof} or {@code setException}: {@code _wait_for_data}. */
    private void waitForData(String method) throws Exception {
        if (waiter != null) {
            throw new IllegalStateException(method + "() called while another coroutine is already waiting for incoming data");
        }
        if (eof) {
            throw new IllegalStateException("waiting for data after EOF"); // asyncio asserts it cannot happen
        }
        if (paused) { // a read that waits for more than is buffered must not wait for a paused connection
            paused = false;
            flow.resumeReading();
        }
        LoopFuture<Void> w = loop.createFuture();
        waiter = w;
        try {
            w.await();
        } finally {
            if (waiter == w) {
                waiter = null;
            }
        }
    }

    // ---- the reads ----------------------------------------------------------------------------

    /**
     * Up to {@code n} bytes, at least one unless the stream ended: {@code read(n)}. Waits only if nothing is
     * buffered. {@code n == 0} returns nothing at once; a negative {@code n} reads to the end of the stream (in
     * chunks of the limit, so the connection keeps being read). After the end, returns an empty array.
     * Inside a coroutine of the reader's loop.
     *
     * @throws Exception the connection's error ({@link #exception()}), even with bytes buffered, as asyncio
     */
    public byte[] read(int n) throws Exception {
        checkThread("read");
        throwIfFailed();
        if (n == 0) {
            return EMPTY;
        }
        if (n < 0) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (byte[] block = read(limit); block.length > 0; block = read(limit)) {
                all.writeBytes(block);
            }
            return all.toByteArray();
        }
        if (head == tail && !eof) {
            waitForData("read");
        }
        byte[] data = take(Math.min(n, tail - head));
        maybeResume();
        return data;
    }

    /** Every byte up to the end of the stream: {@code read()}, {@code read(-1)}. See {@link #read(int)}. */
    public byte[] read() throws Exception {
        return read(-1);
    }

    /**
     * Exactly {@code n} bytes: {@code readexactly(n)}. Waits until they are all buffered, however many more than
     * the limit that is. Inside a coroutine of the reader's loop.
     *
     * @throws IncompleteReadException if the stream ends first; it carries the bytes read, which are consumed
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public byte[] readExactly(int n) throws Exception {
        if (n < 0) {
            throw new IllegalArgumentException("readExactly size can not be less than zero: " + n);
        }
        checkThread("readExactly");
        throwIfFailed();
        if (n == 0) {
            return EMPTY;
        }
        while (tail - head < n) {
            if (eof) {
                byte[] incomplete = take(tail - head);
                throw new IncompleteReadException(incomplete, n);
            }
            waitForData("readExactly");
        }
        byte[] data = take(n);
        maybeResume();
        return data;
    }

    /**
     * A line, up to and including {@code '\n'}: {@code readline()}. At the end of the stream, the bytes left (no
     * newline), then an empty array.
     *
     * @throws LimitOverrunException if the line, without its newline, is longer than the limit; the line (or, if
     *         its newline has not arrived, everything buffered) is discarded, as asyncio does (which raises
     *         {@code ValueError} there)
     */
    public byte[] readLine() throws Exception {
        checkThread("readLine");
        try {
            return readUntil(NEWLINE, "readLine");
        } catch (IncompleteReadException e) {
            return e.partial();
        } catch (LimitOverrunException e) {
            if (startsWith(NEWLINE, e.consumed())) {
                head += e.consumed() + NEWLINE.length;
            } else {
                head = tail;
            }
            released();
            maybeResume();
            throw e;
        }
    }

    /**
     * The bytes up to and including {@code separator}: {@code readuntil(separator)}. Inside a coroutine of the
     * reader's loop.
     *
     * @throws LimitOverrunException if more than the limit (separator not counted) would be returned; the bytes
     *         stay buffered
     * @throws IncompleteReadException if the stream ends first; it carries everything buffered, now consumed
     * @throws IllegalArgumentException if {@code separator} is empty
     */
    public byte[] readUntil(byte[] separator) throws Exception {
        checkThread("readUntil");
        return readUntil(separator, "readUntil");
    }

    private byte[] readUntil(byte[] separator, String method) throws Exception {
        Objects.requireNonNull(separator, "separator");
        int seplen = separator.length;
        if (seplen == 0) {
            throw new IllegalArgumentException("Separator should be at least one-byte string");
        }
        throwIfFailed();
        // Bytes [head, head + offset) hold no separator; the last seplen - 1 bytes may hold its start.
        int offset = 0;
        int isep;
        while (true) {
            int buflen = tail - head;
            if (buflen - offset >= seplen) {
                isep = indexOf(separator, offset);
                if (isep != -1) {
                    break;
                }
                offset = buflen + 1 - seplen;
                if (offset > limit) {
                    throw new LimitOverrunException("Separator is not found, and chunk exceed the limit", offset);
                }
            }
            // The separator may have arrived with the last bytes before the end: look before checking EOF.
            if (eof) {
                byte[] chunk = take(tail - head);
                throw new IncompleteReadException(chunk, -1);
            }
            waitForData(method);
        }
        if (isep > limit) {
            throw new LimitOverrunException("Separator is found, but chunk is longer than limit", isep);
        }
        byte[] chunk = take(isep + seplen);
        maybeResume();
        return chunk;
    }

    private void throwIfFailed() throws Exception {
        if (exception != null) {
            throw StreamReader.<RuntimeException>sneaky(exception);
        }
    }

    /** Throws {@code t} itself, checked or not, as asyncio re-raises the connection's error object. */
    @SuppressWarnings("unchecked")
    static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    // ---- the buffer ---------------------------------------------------------------------------

    /** The buffer, with room for {@code n} more bytes at {@code tail}. */
    private byte[] room(int n) {
        int size = tail - head;
        if (size == 0) {
            // Empty: the bytes get an array of their own, which a read of all of them takes without a copy.
            buffer = new byte[n];
            head = 0;
            tail = 0;
            return buffer;
        }
        if (buffer.length - tail >= n) {
            return buffer;
        }
        if (size + n > Integer.MAX_VALUE - 16) {
            throw new OutOfMemoryError("StreamReader buffer over 2 GiB");
        }
        // Compact in place only when the consumed prefix is at least as big as what is kept: no quadratic copying.
        byte[] into = head >= size && size + n <= buffer.length ? buffer
                : new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(Math.max(size + n, 2L * buffer.length), 256))];
        System.arraycopy(buffer, head, into, 0, size);
        buffer = into;
        head = 0;
        tail = size;
        return buffer;
    }

    /** The first {@code n} buffered bytes, consumed. */
    private byte[] take(int n) {
        if (n == buffer.length) { // all of it, from an array of its own (see room)
            byte[] all = buffer;
            buffer = EMPTY;
            head = 0;
            tail = 0;
            return all;
        }
        byte[] out = n == 0 ? EMPTY : Arrays.copyOfRange(buffer, head, head + n);
        head += n;
        released();
        return out;
    }

    /** After consuming: an empty buffer starts again at 0, and a big one is let go. */
    private void released() {
        if (head == tail) {
            head = 0;
            tail = 0;
            if (buffer.length > (long) KEEP_LIMITS * limit) {
                buffer = EMPTY;
            }
        }
    }

    private int indexOf(byte[] separator, int from) {
        int last = tail - separator.length;
        for (int i = head + from; i <= last; i++) {
            if (regionMatches(i, separator)) {
                return i - head;
            }
        }
        return -1;
    }

    private boolean startsWith(byte[] prefix, int at) {
        int i = head + at;
        return i + prefix.length <= tail && regionMatches(i, prefix);
    }

    private boolean regionMatches(int i, byte[] what) {
        return Arrays.equals(buffer, i, i + what.length, what, 0, what.length);
    }

    private void checkThread(String method) {
        if (!LoopSpi.inLoop(loop)) {
            throw new IllegalStateException("StreamReader." + method + "() called from thread '"
                    + Thread.currentThread().getName() + "' but the stream belongs to event loop '" + loop.name()
                    + "'; call it from a coroutine on that loop");
        }
    }

    /** asyncio's repr: {@code StreamReader[3 bytes, eof, limit=10, paused]}. Any thread (a snapshot). */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("StreamReader[");
        int size = tail - head;
        if (size > 0) {
            s.append(size).append(" bytes, ");
        }
        if (eof) {
            s.append("eof, ");
        }
        s.append("limit=").append(limit);
        if (waiter != null) {
            s.append(", waiting");
        }
        if (exception != null) {
            s.append(", exception=").append(exception);
        }
        if (paused) {
            s.append(", paused");
        }
        return s.append(']').toString();
    }
}
