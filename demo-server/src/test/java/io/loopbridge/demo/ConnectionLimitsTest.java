package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile clients (silent, idle, half requests, dripped headers, floods) against small timeouts and limits. */
@Timeout(120)
class ConnectionLimitsTest {
    private static final int TIMEOUT_MS = 300;
    private static DemoProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = new DemoProcess("--loops", "1", "--idle-timeout-ms", String.valueOf(TIMEOUT_MS),
                "--request-timeout-ms", String.valueOf(TIMEOUT_MS));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeoutAndCounted() throws Exception {
        double before = metric(server, "demo_connections_timed_out_total");
        try (RawHttp silent = new RawHttp(server.port)) {
            long t0 = System.nanoTime();
            assertThat(silent.closedByServer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(TIMEOUT_MS - 50));
        }
        assertThat(metric(server, "demo_connections_timed_out_total")).isGreaterThanOrEqualTo(before + 1);
        assertThat(metric(server, "demo_connections_open")).as("this scrape's own connection").isGreaterThanOrEqualTo(1);
    }

    @Test
    void aKeepAliveConnectionIsClosedOnceIdle() throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            assertThat(c.send(RawHttp.get("/sleep?ms=" + 2 * TIMEOUT_MS)).read().status())
                    .as("a request longer than the idle timeout is not cut").isEqualTo(200);
            assertThat(c.send(RawHttp.get("/healthz")).read().status()).isEqualTo(200);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", // half headers
        "POST /legacy?jobs=1&ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789", // half body
    })
    void aHalfRequestGets408AndIsClosed(String half) throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            RawHttp.Reply r = c.send(half).read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).contains("--request-timeout-ms");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aDrippedHeaderDoesNotPutOffTheRequestDeadline() throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            long t0 = System.nanoTime();
            c.send("GET /healthz HTTP/1.1\r\nX-Drip: ");
            int drips = 0;
            while (!c.answeredWithin(100) && drips < 100) {
                c.send("a"); // one more byte every 100 ms, more often than the idle timeout
                drips++;
            }
            RawHttp.Reply r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedByServer()).isTrue();
            assertThat(drips).isPositive();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnceAndCounted() throws Exception {
        try (DemoProcess limited = new DemoProcess("--loops", "1", "--max-connections", "2");
                RawHttp a = new RawHttp(limited.port);
                RawHttp b = new RawHttp(limited.port)) {
            assertThat(a.send(RawHttp.get("/healthz")).read().status()).isEqualTo(200);
            assertThat(b.send(RawHttp.get("/healthz")).read().status()).isEqualTo(200);
            try (RawHttp third = new RawHttp(limited.port)) {
                assertThat(third.closedByServer()).as("the third connection is closed at once").isTrue();
            }
            b.close();
            double refused = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (refused == 0 && System.nanoTime() < deadline) {
                try { // bounded retry: b's slot frees once the server has seen it close
                    refused = metric(limited, "demo_connections_refused_total");
                } catch (java.io.IOException refusedAgain) {
                    refused = 0;
                }
            }
            assertThat(refused).isGreaterThanOrEqualTo(1);
        }
    }

    private static double metric(DemoProcess p, String name) throws Exception {
        RawHttp.Reply r = RawHttp.fetch(p.port, "/metrics");
        assertThat(r.status()).isEqualTo(200);
        return PrometheusText.sum(r.body(), name);
    }
}
