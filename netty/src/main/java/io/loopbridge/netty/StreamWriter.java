package io.loopbridge.netty;

import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The sending side of a connection: asyncio's {@code StreamWriter}. {@link #write} never blocks and never fails
 * for a full socket: Netty buffers what the socket does not take, and {@link #drain()} is where a coroutine waits
 * for that buffer to go down (below Netty's low write-buffer water mark, once it passed the high one).
 *
 * <p>Netty is called on the loop's own platform thread only. A write from a plain callback of the loop goes to the
 * channel at once; a write from a coroutine (which runs on a virtual thread) is queued and handed to the channel by
 * one callback of the loop, with one flush for all the writes of that step; order is kept either way. So Netty's
 * per-thread caches (buffer pools, recyclers) are the loop thread's, not one set per task.
 *
 * <p>Thread-safety: loop thread only (the connection's loop; its coroutines count), {@link #drain()} and
 * {@link #waitClosed()} inside a coroutine.
 */
public final class StreamWriter {
    private enum Op { WRITE_EOF, CLOSE }

    private final StreamProtocol protocol;
    private final SocketChannel channel;
    private final EventLoop loop;
    /** Writes and operations from coroutines, not yet handed to the channel: ByteBuf or Op. */
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    private boolean flushScheduled;
    private final Runnable flush = this::flushQueued;
    private boolean closing;
    private boolean eofWritten;

    StreamWriter(StreamProtocol protocol) {
        this.protocol = protocol;
        this.channel = protocol.channel();
        this.loop = protocol.loop();
    }

    /**
     * Sends {@code data} (copied at once): {@code write(data)}. Once the connection is closing or lost, the bytes
     * are dropped, as asyncio drops them. Loop thread only.
     *
     * @throws IllegalStateException after {@link #writeEof()}
     */
    public void write(byte[] data) {
        Objects.requireNonNull(data, "data");
        checkThread("write");
        if (eofWritten) {
            throw new IllegalStateException("Cannot call write() after writeEof()");
        }
        if (data.length == 0 || closing || protocol.isConnectionLost()) {
            return;
        }
        // One copy, straight into the channel's pooled direct memory: no garbage, and no second copy by the socket.
        submit(channel.alloc().ioBuffer(data.length).writeBytes(data));
    }

    /** Writes each of {@code lines} in order (no separator is added): {@code writelines(data)}. Loop thread only. */
    public void writeLines(Iterable<byte[]> lines) {
        Objects.requireNonNull(lines, "lines");
        for (byte[] line : lines) {
            write(line);
        }
    }

    /**
     * Waits until the connection can take more: {@code await drain()}. Returns at once while Netty's outbound buffer
     * is under its high water mark; otherwise suspends until it drops under the low one. Inside a coroutine.
     *
     * @throws Exception the connection's error, if the reader has one (also one it got while the written bytes
     *         reached the channel); a {@link SocketException} "Connection lost" if the connection was closed (by
     *         either side) without an error; a {@link java.util.concurrent.CancellationException}
     *         if the task is cancelled while it waits (the stream stays usable)
     */
    public void drain() throws Exception {
        checkThread("drain");
        Throwable failure = protocol.reader().exception();
        if (failure != null) {
            throw StreamReader.<RuntimeException>sneaky(failure);
        }
        if (flushScheduled || closing) {
            Aio.sleep(Duration.ZERO); // the queued writes (and a close) reach the channel first
        }
        if (closing || protocol.isConnectionLost()) {
            failure = protocol.reader().exception(); // lost with an error while the writes reached the channel
            if (failure != null) {
                throw StreamReader.<RuntimeException>sneaky(failure);
            }
            throw new SocketException("Connection lost");
        }
        while (!channel.isWritable() && !protocol.isConnectionLost()) {
            LoopFuture<Void> waiter = protocol.addDrainWaiter();
            try {
                waiter.await(); // the connection's error if it is lost with one
            } finally {
                protocol.removeDrainWaiter(waiter);
            }
        }
    }

    /** Whether {@link #writeEof()} is supported: not over TLS. {@code can_write_eof()}. Any thread. */
    public boolean canWriteEof() {
        return protocol.sslContext() == null;
    }

    /**
     * Closes the sending side once the written bytes are sent (a TCP FIN); the connection can still be read:
     * {@code write_eof()}. Loop thread only.
     *
     * @throws UnsupportedOperationException over TLS ({@link #canWriteEof()} is false), as asyncio's
     *         {@code NotImplementedError}
     */
    public void writeEof() {
        checkThread("writeEof");
        if (!canWriteEof()) {
            throw new UnsupportedOperationException("writeEof() is not supported over TLS; see canWriteEof()");
        }
        if (eofWritten || closing || protocol.isConnectionLost()) {
            eofWritten = true;
            return;
        }
        eofWritten = true;
        submit(Op.WRITE_EOF);
    }

    /**
     * Closes the connection once the written bytes are sent: {@code close()}. Does not wait: {@link #waitClosed()}
     * does. Idempotent. Loop thread only.
     */
    public void close() {
        checkThread("close");
        if (closing) {
            return;
        }
        closing = true;
        submit(Op.CLOSE);
    }

    /** Whether the connection is closed or closing: {@code is_closing()}. Loop thread only. */
    public boolean isClosing() {
        checkThread("isClosing");
        return closing || protocol.isConnectionLost();
    }

    /**
     * Waits until the connection is closed: {@code await wait_closed()}. Inside a coroutine.
     *
     * @throws Exception the error the connection was lost with, if any
     */
    public void waitClosed() throws Exception {
        checkThread("waitClosed");
        protocol.closed().await();
    }

    /**
     * A fact about the connection, or {@code defaultValue}: {@code get_extra_info(name, default)}. Names:
     * {@code peername} and {@code sockname} ({@link InetSocketAddress}), {@code socket} (the Netty
     * {@link SocketChannel}); over TLS also {@code sslcontext} (Netty's {@code SslContext}), {@code ssl_object}
     * (the {@link javax.net.ssl.SSLEngine}), {@code cipher} (the cipher suite) and {@code peercert} (the peer's
     * certificate chain, if it sent one). Loop thread only.
     */
    public Object getExtraInfo(String name, Object defaultValue) {
        Objects.requireNonNull(name, "name");
        checkThread("getExtraInfo");
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        SSLSession session = ssl == null ? null : ssl.engine().getSession();
        Object value = switch (name) {
            case "peername" -> channel.remoteAddress();
            case "sockname" -> channel.localAddress();
            case "socket" -> channel;
            case "sslcontext" -> protocol.sslContext();
            case "ssl_object" -> ssl == null ? null : ssl.engine();
            case "cipher" -> session == null ? null : session.getCipherSuite();
            case "peercert" -> peerCertificates(session);
            default -> null;
        };
        return value != null ? value : defaultValue;
    }

    /** {@link #getExtraInfo(String, Object)} with a null default. */
    public Object getExtraInfo(String name) {
        return getExtraInfo(name, null);
    }

    private static Object peerCertificates(SSLSession session) {
        try {
            return session == null ? null : session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }

    /** The peer's address ({@code peername}); null once the channel is closed. Any thread. */
    public InetSocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    /** This end's address ({@code sockname}); null once the channel is closed. Any thread. */
    public InetSocketAddress localAddress() {
        return channel.localAddress();
    }

    /** The Netty channel ({@code transport}): for options and Netty APIs. Write through this writer. Any thread. */
    public SocketChannel channel() {
        return channel;
    }

    /** The loop this connection lives on. Any thread. */
    public EventLoop loop() {
        return loop;
    }

    // ---- to the channel, on the loop's thread ---------------------------------------------------------

    private void submit(Object item) {
        if (!flushScheduled && Thread.currentThread() == loop.thread()) {
            perform(item);
            channel.flush();
            return;
        }
        queued.add(item);
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flush);
        }
    }

    /** One callback of the loop: what coroutines wrote since the last one, then one flush. */
    private void flushQueued() {
        flushScheduled = false;
        for (Object item; (item = queued.poll()) != null; ) {
            perform(item);
        }
        channel.flush();
    }

    private void perform(Object item) {
        if (item instanceof ByteBuf data) {
            channel.write(data, channel.voidPromise()); // a failure reaches the protocol's exceptionCaught
        } else if (item == Op.WRITE_EOF) {
            // Netty's shutdownOutput drops what is still buffered: send it first (an empty write completes after it).
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(sent -> {
                if (sent.isSuccess()) {
                    channel.shutdownOutput();
                }
            });
        } else {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(sent -> channel.close()); // likewise for close
        }
    }

    /** Closes at once, dropping what is not yet sent: {@code transport.abort()}. The loop's thread. */
    void abort() {
        closing = true;
        for (Object item; (item = queued.poll()) != null; ) {
            if (item instanceof ByteBuf data) {
                data.release();
            }
        }
        channel.close();
    }

    /** Called by the protocol when the channel closed: nothing queued will be sent. */
    void connectionLost() {
        for (Object item; (item = queued.poll()) != null; ) {
            if (item instanceof ByteBuf data) {
                data.release();
            }
        }
    }

    private void checkThread(String method) {
        if (!LoopSpi.inLoop(loop)) {
            throw new IllegalStateException("StreamWriter." + method + "() called from thread '"
                    + Thread.currentThread().getName() + "' but the stream belongs to event loop '" + loop.name()
                    + "'; call it from a coroutine on that loop");
        }
    }

    @Override
    public String toString() {
        return "StreamWriter[" + channel + (closing ? ", closing" : "") + "]";
    }
}
