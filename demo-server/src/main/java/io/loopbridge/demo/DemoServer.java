package io.loopbridge.demo;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.EventLoop;
import io.loopbridge.metrics.LoopPoolMetrics;
import io.loopbridge.netty.NettyIo;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo: a Netty HTTP/1.1 server whose channels live on the loops of an embedded {@link LoopPool} (each loop
 * drives its Netty I/O), so a request is read, served by a coroutine and answered on one loop thread. A "legacy"
 * blocking thread pool submits coroutines through the bridge, and Prometheus metrics are served at /metrics.
 */
public final class DemoServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoServer.class);
    /** After the grace period: how long the 503 answers may take to be written before the connections close. */
    private static final Duration ABORT_WRITE_BOUND = Duration.ofSeconds(5);

    private final DemoConfig config;
    private final NettyIo transport;
    private final LoopPool pool;
    private final ThreadPoolExecutor legacy;
    private final PrometheusMeterRegistry registry;
    private final LoopPoolMetrics poolMetrics;
    private final Connections connections;
    private final Endpoints endpoints;
    private final Channel serverChannel;
    private volatile boolean closed;

    private DemoServer(DemoConfig config) {
        this.config = config;
        this.transport = config.transport().equals("nio") ? NettyIo.nio() : NettyIo.auto();
        checkPortFree(config); // before any loop starts: a taken port ends the process with one line, nothing else
        this.pool = LoopPool.builder().name("demo").loops(config.loops()).loopDefaults(b -> b.io(transport))
                .blockedThreshold(config.blockedThreshold()).build();
        // Listen first (accepting once everything below exists): a taken port fails before anything else starts.
        ChannelFuture bound = new ServerBootstrap()
                .group(NettyIo.group(pool)) // the listening channel and every connection live on the pool's loops
                .channel(transport.serverChannelType())
                .option(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        DemoServer.this.initChannel(ch);
                    }
                })
                .bind(config.host(), config.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            pool.shutdownGracefully(Duration.ZERO).join();
            throw cannotListen(config, bound.cause().getMessage());
        }
        this.serverChannel = bound.channel();
        this.legacy = new ThreadPoolExecutor(config.legacyThreads(), config.legacyThreads(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("legacy-worker-"));
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Not jvm.threads.states: its gauges call ThreadMXBean.getThreadInfo on every thread at every scrape,
        // and on JDK 25 (25.0.3 here) that can crash the JVM (SIGSEGV in ThreadSnapshot::initialize, JDK-8392031)
        // when a carrier thread mounts or unmounts a virtual thread at that moment, which every loop does all
        // the time. SoakTest found it: /metrics scraped under load. Live/daemon/peak counts stay (getThreadCount).
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("jvm.threads.states"));
        // Names promtool rejects: process.cpu.time is in nanoseconds ("_ns_total": an abbreviated, non-base
        // unit; process_cpu_usage stays), and system.cpu.count would end in "_count", the suffix of summaries.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.poolMetrics = new LoopPoolMetrics(pool);
        poolMetrics.bindTo(registry);
        this.connections = new Connections(config.maxConnections(), registry);
        this.endpoints = new Endpoints(config, pool, legacy, registry);
        serverChannel.config().setAutoRead(true);
    }

    /** Binds the address with the JDK and lets it go (port 0 needs no check). */
    private static void checkPortFree(DemoConfig config) {
        if (config.port() == 0) {
            return;
        }
        try (java.nio.channels.ServerSocketChannel probe = java.nio.channels.ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(config.host(), config.port()));
        } catch (java.io.IOException e) {
            throw cannotListen(config, e.getMessage());
        }
    }

    private static UncheckedIOException cannotListen(DemoConfig config, String why) {
        return new UncheckedIOException(new BindException("cannot listen on " + config.host() + ":" + config.port()
                + ": " + why + " (another process holds the port? choose another with --port or LOOPBRIDGE_PORT)"));
    }

    private void initChannel(SocketChannel ch) {
        if (!connections.admit(ch)) {
            return;
        }
        HttpHandler handler = new HttpHandler(endpoints, connections, config.requestTimeout());
        ch.pipeline().addLast(
                new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS),
                handler.requestStart(),
                new HttpServerCodec(HttpHandler.MAX_LINE_BYTES, HttpHandler.MAX_HEADER_BYTES, 8192),
                new HttpServerKeepAliveHandler(),
                new HttpServerExpectContinueHandler(),
                new HttpHandler.Aggregator(config.maxRequestBytes()),
                handler);
    }

    /** Starts a server; {@link #port()} tells where it listens. */
    public static DemoServer start(String... args) {
        return new DemoServer(DemoConfig.parse(args, System.getenv()));
    }

    /** The port the server listens on (the bound one when {@code --port 0} asked for any free port). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The pool whose loops run the endpoints' coroutines. */
    public LoopPool pool() {
        return pool;
    }

    /** The Netty transport the pool's loops drive ({@code epoll}, {@code io_uring} or {@code nio}). */
    public String transport() {
        return transport.name();
    }

    /**
     * Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish and be written
     * (each connection's last answer says {@code Connection: close}), and go on as soon as none is left; at the
     * end of the grace period, answer what is still running with 503. Then shut the pool down (which closes what
     * connections are left) and the legacy pool.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        serverChannel.close().syncUninterruptibly();
        CompletableFuture<Void> drained = connections.drain();
        try {
            drained.get(config.grace().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("grace period ({} ms) over: answered {} unfinished requests with 503", config.grace().toMillis(),
                    connections.abortInFlight());
            try {
                drained.get(ABORT_WRITE_BOUND.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException slowClients) {
                log.warn("503 answers not written within {} ms (clients not reading); closing their connections",
                        ABORT_WRITE_BOUND.toMillis());
            } catch (InterruptedException | ExecutionException e2) {
                throw new IllegalStateException("waiting for the 503 answers to be written", e2);
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("waiting for in-flight requests", e);
        }
        pool.shutdownGracefully(Duration.ZERO).join();
        legacy.shutdownNow();
        poolMetrics.close();
        registry.close();
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
        DemoConfig config;
        DemoServer server;
        try {
            config = DemoConfig.parse(args, System.getenv());
            if (config.healthcheck()) {
                System.exit(healthcheck(config));
            }
            server = new DemoServer(config);
        } catch (DemoConfig.HelpRequested help) {
            System.out.print(help.getMessage());
            return;
        } catch (IllegalArgumentException bad) {
            System.err.println(bad.getMessage());
            System.exit(2);
            return;
        } catch (UncheckedIOException cannotListen) {
            System.err.println(cannotListen.getCause().getMessage());
            System.exit(1);
            return;
        }
        log.info("loopbridge demo listening on http://{}:{} with {} loops ({} I/O), {} coroutine engine (try"
                        + " /sleep?ms=100, /fanout?n=1000&ms=50, POST /legacy?jobs=100&ms=20, /metrics, /debug/tasks,"
                        + " /healthz)", config.host(), server.port(), server.pool.loops().size(), server.transport(),
                EventLoop.coroutineEngine());
        // SIGTERM/SIGINT: shut down gracefully and exit 0 (a plain shutdown hook would exit 143).
        CountDownLatch stop = new CountDownLatch(1);
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
        }
        stop.await();
        log.info("shutting down (grace {} ms)", config.grace().toMillis());
        server.close();
        log.info("stopped");
        System.exit(0);
    }

    /** {@code --healthcheck}: 0 if the server at the configured port answers /healthz with 200, else 1. */
    private static int healthcheck(DemoConfig config) throws InterruptedException {
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        URI uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + config.port()
                + "/healthz");
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println(uri + ": " + r.statusCode() + " " + r.body().strip());
            return r.statusCode() == 200 ? 0 : 1;
        } catch (java.io.IOException e) {
            System.out.println(uri + ": no answer (" + e + "); is the server running on port " + config.port() + "?");
            return 1;
        }
    }
}
