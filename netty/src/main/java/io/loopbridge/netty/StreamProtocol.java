package io.loopbridge.netty;

import io.loopbridge.core.ErrorContext;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.Task;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The Netty end of one stream connection, last in its channel's pipeline: asyncio's {@code StreamReaderProtocol}.
 * It copies what the channel reads into the {@link StreamReader} (and releases the buffer at once), turns the
 * channel's auto-read off and on for the reader's backpressure, wakes {@link StreamWriter#drain()} when the
 * channel becomes writable, and on the channel's close tells the reader (end of stream, or the error), the
 * drainers and {@link StreamWriter#waitClosed()}. Every handler method runs on the channel's loop thread.
 */
final class StreamProtocol extends ChannelInboundHandlerAdapter implements StreamReader.ReadFlow {
    private final EventLoop loop;
    private final StreamReader reader;
    private final SslContext sslContext;
    private final Server server;
    private final LoopFuture<Void> closed;
    private final ArrayList<LoopFuture<Void>> drainWaiters = new ArrayList<>(1);
    private SocketChannel channel;
    private StreamWriter writer;
    private Throwable error;
    private boolean connectionLost;
    private boolean eofReceived;

    /** For {@code loop}'s thread; {@code server} is null for a client connection. */
    StreamProtocol(EventLoop loop, StreamReader reader, SslContext sslContext, Server server) {
        this.loop = loop;
        this.reader = reader;
        this.sslContext = sslContext;
        this.server = server;
        this.closed = loop.createFuture();
        reader.setFlow(this);
    }

    EventLoop loop() {
        return loop;
    }

    StreamReader reader() {
        return reader;
    }

    SslContext sslContext() {
        return sslContext;
    }

    SocketChannel channel() {
        return channel;
    }

    LoopFuture<Void> closed() {
        return closed;
    }

    boolean isConnectionLost() {
        return connectionLost;
    }

    /** The connection's writer, made on first demand. The loop's thread. */
    StreamWriter writer() {
        if (writer == null) {
            writer = new StreamWriter(this);
        }
        return writer;
    }

    /** A future that {@link #channelWritabilityChanged} or the connection's loss completes. */
    LoopFuture<Void> addDrainWaiter() {
        LoopFuture<Void> waiter = loop.createFuture();
        drainWaiters.add(waiter);
        return waiter;
    }

    void removeDrainWaiter(LoopFuture<Void> waiter) {
        drainWaiters.remove(waiter);
    }

    // ---- Netty's side ---------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = (SocketChannel) ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBuf data && !eofReceived) {
                reader.feedData(data);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) { // the peer's FIN, with half-closure allowed (no TLS)
            eofReceived();
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void eofReceived() {
        if (!eofReceived) {
            eofReceived = true;
            reader.feedEof();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            for (LoopFuture<Void> waiter : drainWaiters) {
                if (!waiter.isDone()) {
                    waiter.setResult(null);
                }
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** An I/O error: the connection is lost with it (not passed on: Netty's tail would log it). */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (error == null && !connectionLost) {
            error = unwrap(cause);
        }
        ctx.close();
    }

    /**
     * A handler for the head of a TLS connection's pipeline, before the {@code SslHandler}: a write the socket fails
     * (a reset while sending) becomes the connection's error. Without TLS the writer's void promises report such a
     * failure to {@link #exceptionCaught}; under TLS the failing writes are the {@code SslHandler}'s own, whose
     * failures reach no handler, and the connection would end as if the peer had closed it cleanly.
     */
    ChannelOutboundHandler socketWriteFailures() {
        return new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ChannelPromise p = promise.unvoid();
                p.addListener(written -> {
                    if (!written.isSuccess()) {
                        socketWriteFailed(written.cause());
                    }
                });
                ctx.write(msg, p);
            }
        };
    }

    private void socketWriteFailed(Throwable cause) {
        Throwable e = unwrap(cause);
        if (error == null && !connectionLost && !(e instanceof ClosedChannelException)) {
            error = e; // a write after the channel closed (ClosedChannelException without a cause) is no error
        }
    }

    private static Throwable unwrap(Throwable cause) {
        // A TLS failure arrives wrapped by SslHandler's decoder; a failed write as the close it caused.
        if (cause.getCause() instanceof SSLException || cause instanceof ClosedChannelException && cause.getCause() != null) {
            return cause.getCause();
        }
        return cause;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connectionLost(error);
        ctx.fireChannelInactive();
    }

    /** asyncio's {@code connection_lost(exc)}. */
    private void connectionLost(Throwable exc) {
        if (connectionLost) {
            return;
        }
        connectionLost = true;
        if (exc == null || exc instanceof CancellationException) {
            exc = null;
            eofReceived();
        } else {
            reader.setException(exc);
        }
        if (exc == null) {
            closed.setResult(null);
        } else {
            closed.setException(exc);
            closed.exception(); // retrieved: nobody need await waitClosed() (asyncio's __del__ does the same)
        }
        for (LoopFuture<Void> waiter : new ArrayList<>(drainWaiters)) {
            if (!waiter.isDone()) {
                if (exc == null) {
                    waiter.setResult(null);
                } else {
                    waiter.setException(exc);
                }
            }
        }
        if (writer != null) {
            writer.connectionLost();
        }
        if (server != null) {
            server.detach(this);
        }
    }

    // ---- the reader's backpressure ------------------------------------------------------------------

    @Override
    public void pauseReading() {
        applyAutoRead();
    }

    @Override
    public void resumeReading() {
        applyAutoRead();
    }

    /** Sets auto-read to what the reader wants when it runs (so a late resume cannot undo a newer pause). */
    private void applyAutoRead() {
        onLoopThread(loop, () -> {
            if (channel != null) {
                channel.config().setAutoRead(!reader.isPaused());
            }
        });
    }

    // ---- a server's connection --------------------------------------------------------------------

    /**
     * Runs the server's callback for this connection as a task on its loop; asyncio 3.12's
     * {@code connection_made}: a callback that fails is reported to the loop's exception handler, and one that
     * fails or is cancelled closes the connection. The loop's thread.
     */
    void startClient(Streams.ClientConnected callback) {
        StreamWriter w = writer();
        Task<Void> task = loop.createTask("stream-client " + channel.remoteAddress(), () -> {
            callback.connected(reader, w);
            return null;
        });
        task.addDoneCallback(done -> {
            if (done.isCancelled()) {
                w.close();
                return;
            }
            Throwable failure = done.exception();
            if (failure != null) {
                loop.callExceptionHandler(new ErrorContext("Unhandled exception in client_connected_cb", failure, done, null));
                w.close();
            }
        });
    }

    /** {@link StreamWriter#close()} from any thread (a server's {@code closeClients}). */
    void closeFromAnyThread() {
        onAnyThread(() -> writer().close());
    }

    /** Closes at once, dropping what is not yet written: asyncio's {@code transport.abort()}. Any thread. */
    void abortFromAnyThread() {
        onAnyThread(() -> writer().abort());
    }

    private void onAnyThread(Runnable op) {
        try {
            onLoopThread(loop, op);
        } catch (java.util.concurrent.RejectedExecutionException loopClosed) {
            // the loop closed its channels as it closed
        }
    }

    // ---- where Netty calls are made -----------------------------------------------------------------

    /**
     * Runs {@code op} on the loop's own platform thread, the channel's Netty thread: at once when called there,
     * else behind what the loop has ready (from a coroutine of the loop, which may run on a virtual thread) or as a
     * thread-safe submission (from another thread). Netty's per-thread caches are then those of the loop's thread,
     * not one set per virtual thread.
     *
     * @throws java.util.concurrent.RejectedExecutionException from another thread, if the loop is closed
     */
    static void onLoopThread(EventLoop loop, Runnable op) {
        if (Thread.currentThread() == loop.thread()) {
            op.run();
        } else {
            loop.execute(op); // behind what the loop has ready from inside it, thread-safe from outside; no Handle
        }
    }

    /**
     * Starts a connect or bind on the loop's thread ({@link #onLoopThread}); the result completes with the channel
     * (on the loop's thread). Cancelling it cancels the operation and closes the channel, also if it completed
     * meanwhile. Any thread.
     */
    static CompletableFuture<Channel> startOnLoopThread(EventLoop loop, Supplier<ChannelFuture> start) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        onLoopThread(loop, () -> {
            if (result.isDone()) {
                return; // cancelled before it started
            }
            ChannelFuture f;
            try {
                f = start.get();
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            f.addListener(done -> {
                if (f.isSuccess()) {
                    if (!result.complete(f.channel())) {
                        f.channel().close();
                    }
                } else {
                    result.completeExceptionally(f.isCancelled() ? new CancellationException() : f.cause());
                }
            });
            result.whenComplete((c, e) -> {
                if (result.isCancelled()) {
                    f.cancel(false);
                    f.channel().close();
                }
            });
        });
        return result;
    }
}
