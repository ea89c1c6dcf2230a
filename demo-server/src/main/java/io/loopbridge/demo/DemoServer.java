package io.loopbridge.demo;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo: a Netty HTTP/1.1 server whose work runs as coroutines on an embedded {@link LoopPool}, with a
 * "legacy" blocking thread pool submitting coroutines through the bridge and Prometheus metrics at /metrics.
 */
public final class DemoServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoServer.class);

    private final DemoConfig config;
    private final LoopPool pool;
    private final ThreadPoolExecutor legacy;
    private final PrometheusMeterRegistry registry;
    private final LoopPoolMetrics poolMetrics;
    private final EventLoopGroup io;
    private final HttpHandler handler;
    private final Channel serverChannel;
    private volatile boolean closed;

    private DemoServer(DemoConfig config) throws InterruptedException {
        this.config = config;
        this.pool = LoopPool.builder().name("demo").loops(config.loops())
                .blockedThreshold(config.blockedThreshold()).build();
        this.legacy = new ThreadPoolExecutor(config.legacyThreads(), config.legacyThreads(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("legacy-worker-"));
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Not jvm.threads.states: its gauges call ThreadMXBean.getThreadInfo on every thread at every scrape,
        // and on JDK 25 (25.0.3 here) that can crash the JVM (SIGSEGV in ThreadSnapshot::initialize, JDK-8392031)
        // when a carrier thread mounts or unmounts a virtual thread at that moment, which every loop does all
        // the time. SoakTest found it: /metrics scraped under load. Live/daemon/peak counts stay (getThreadCount).
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("jvm.threads.states"));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.poolMetrics = new LoopPoolMetrics(pool);
        poolMetrics.bindTo(registry);
        this.handler = new HttpHandler(new Endpoints(config, pool, legacy, registry));
        this.io = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        int maxBytes = config.maxRequestBytes();
        this.serverChannel = new ServerBootstrap()
                .group(io)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192),
                                new HttpServerExpectContinueHandler(),
                                new HttpObjectAggregator(maxBytes), // answers 413 to a larger body
                                handler);
                    }
                })
                .bind(config.host(), config.port()).sync().channel();
    }

    /** Starts a server; {@link #port()} tells where it listens. */
    public static DemoServer start(String... args) throws InterruptedException {
        return new DemoServer(DemoConfig.parse(args, System.getenv()));
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public LoopPool pool() {
        return pool;
    }

    /**
     * Graceful shutdown: stop accepting, let in-flight requests finish within the grace period, shut the
     * pool down (cancelling what is left), then the legacy pool and the I/O threads.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + config.grace().toNanos();
        serverChannel.close().syncUninterruptibly();
        try {
            handler.whenDrained().get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("grace period over with requests still in flight; cancelling them");
        } catch (Exception e) {
            log.warn("waiting for in-flight requests", e);
        }
        pool.shutdownGracefully(Duration.ofNanos(remaining(deadline))).join();
        legacy.shutdownNow();
        poolMetrics.close();
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        registry.close();
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public static void main(String[] args) throws Exception {
        DemoServer server;
        try {
            server = start(args);
        } catch (DemoConfig.HelpRequested help) {
            System.out.print(help.getMessage());
            return;
        } catch (IllegalArgumentException bad) {
            System.err.println(bad.getMessage());
            System.exit(2);
            return;
        }
        log.info("loopbridge demo listening on http://{}:{} with {} loops, {} coroutine engine (try /sleep?ms=100,"
                        + " /fanout?n=1000&ms=50, POST /legacy?jobs=100&ms=20, /metrics, /debug/tasks, /healthz)",
                server.config.host(), server.port(), server.pool.loops().size(), EventLoop.coroutineEngine());
        // SIGTERM/SIGINT: shut down gracefully and exit 0 (a plain shutdown hook would exit 143).
        java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
        }
        stop.await();
        log.info("shutting down (grace {} ms)", server.config.grace().toMillis());
        server.close();
        log.info("stopped");
        System.exit(0);
    }
}
