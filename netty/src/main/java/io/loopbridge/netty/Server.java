package io.loopbridge.netty;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.core.Aio;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.LoopFuture;
import io.loopbridge.core.spi.LoopSpi;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A listening stream server made by {@link Streams#startServer}: asyncio's {@code Server}. It serves from the
 * moment it is returned; {@link #close()} stops listening (open connections go on), {@link #waitClosed()} waits
 * until it is closed and every connection it accepted has closed (asyncio 3.12's semantics),
 * {@link #closeClients()} and {@link #abortClients()} (3.13) end those connections. Try-with-resources closes
 * the listener, as {@code server.close()}; add {@code waitClosed()} for what {@code async with server} also
 * waits for.
 *
 * <p>Thread-safety: any thread; {@link #waitClosed()} and {@link #serveForever()} inside a coroutine (of any loop).
 */
public final class Server implements AutoCloseable {
    private final Set<StreamProtocol> connections = ConcurrentHashMap.newKeySet();
    /** Completes once the server is closed and its last connection has closed. */
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicReference<LoopFuture<Void>> servingForever = new AtomicReference<>();
    private volatile List<Channel> listeners = List.of();
    private volatile boolean serving;
    private boolean closing; // guarded by this

    Server() {
    }

    /** Starts serving on {@code listener}: the server closes when it does (a pool's shutdown closes it). */
    void listening(Channel listener) {
        listeners = List.of(listener);
        serving = true;
        listener.closeFuture().addListener(f -> close());
    }

    /** A new connection: false (it is to be closed) if the server is closed. Any thread. */
    boolean attach(StreamProtocol connection) {
        synchronized (this) {
            if (closing) {
                return false;
            }
            connections.add(connection);
            return true;
        }
    }

    /** A connection closed. Any thread. */
    void detach(StreamProtocol connection) {
        boolean last;
        synchronized (this) {
            last = connections.remove(connection) && closing && connections.isEmpty();
        }
        if (last) {
            closed.complete(null);
        }
    }

    /** The addresses the server listens on; empty once closed: {@code sockets}. */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> addresses = new ArrayList<>();
        if (serving) {
            for (Channel l : listeners) {
                if (l.localAddress() instanceof InetSocketAddress a) {
                    addresses.add(a);
                }
            }
        }
        return List.copyOf(addresses);
    }

    /** Whether the server accepts connections: {@code is_serving()}. */
    public boolean isServing() {
        return serving;
    }

    /** How many connections it accepted are still open. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops listening; the connections it accepted stay open: {@code close()}. Idempotent. A task waiting in
     * {@link #serveForever()} is cancelled.
     */
    @Override
    public void close() {
        boolean done;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            serving = false;
            done = connections.isEmpty();
        }
        for (Channel l : listeners) {
            l.close();
        }
        LoopFuture<Void> forever = servingForever.getAndSet(null);
        if (forever != null) {
            cancelOnItsLoop(forever);
        }
        if (done) {
            closed.complete(null);
        }
    }

    private static void cancelOnItsLoop(LoopFuture<Void> future) {
        EventLoop loop = future.getLoop();
        if (LoopSpi.inLoop(loop)) {
            future.cancel();
        } else {
            try {
                loop.callSoonThreadsafe(future::cancel);
            } catch (RejectedExecutionException loopClosed) {
                // its loop closed: the waiting task was cancelled with it
            }
        }
    }

    /** Closes every connection it accepted once what was written to it is sent: {@code close_clients()} (3.13). */
    public void closeClients() {
        for (StreamProtocol c : connections) {
            c.closeFromAnyThread();
        }
    }

    /** Closes every connection it accepted at once, dropping unsent bytes: {@code abort_clients()} (3.13). */
    public void abortClients() {
        for (StreamProtocol c : connections) {
            c.abortFromAnyThread();
        }
    }

    /**
     * Waits until the server is closed and every connection it accepted has closed: {@code await wait_closed()}
     * (3.12: 3.11 returned at once while the server was open). Inside a coroutine.
     */
    public void waitClosed() throws Exception {
        inCoroutine("waitClosed");
        if (!closed.isDone()) {
            Bridge.wrapFuture(closed.copy()).await(); // a cancelled wait leaves the server's future alone
        }
    }

    /**
     * Waits until cancelled, then closes the server and waits for it to close ({@link #waitClosed()}), and throws
     * the {@link CancellationException}: {@code await serve_forever()}. {@link #close()} ends it the same way.
     * Inside a coroutine.
     *
     * @throws IllegalStateException if the server is closed, or another task already waits in it
     */
    public void serveForever() throws Exception {
        inCoroutine("serveForever");
        if (!isServing()) {
            throw new IllegalStateException("server " + this + " is closed");
        }
        LoopFuture<Void> forever = Aio.getRunningLoop().createFuture();
        if (!servingForever.compareAndSet(null, forever)) {
            throw new IllegalStateException("server " + this + " is already being awaited on serveForever()");
        }
        if (!isServing()) { // closed meanwhile, by another thread
            servingForever.compareAndSet(forever, null);
            throw new IllegalStateException("server " + this + " is closed");
        }
        try {
            forever.await();
        } catch (CancellationException cancelled) {
            try {
                close();
                waitClosed();
            } catch (Exception suppressed) {
                cancelled.addSuppressed(suppressed);
            }
            throw cancelled;
        } finally {
            servingForever.compareAndSet(forever, null);
        }
    }

    private static void inCoroutine(String method) {
        if (LoopSpi.runningLoopOrNull() == null || Aio.currentTask() == null) {
            throw new IllegalStateException("Server." + method + "() must be awaited inside a coroutine; from thread '"
                    + Thread.currentThread().getName() + "' use Bridge.runCoroutineThreadsafe(...)");
        }
    }

    /** As asyncio's repr: {@code Server[sockets=[/127.0.0.1:8888]]}. */
    @Override
    public String toString() {
        return "Server[sockets=" + addresses() + "]";
    }
}
