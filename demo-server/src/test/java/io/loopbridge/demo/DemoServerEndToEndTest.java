package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.testing.Promtool;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every endpoint and every error code over real HTTP on loopback, against the server in its own JVM. */
@Timeout(120)
class DemoServerEndToEndTest {
    private static DemoProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = new DemoProcess("--loops", "2", "--legacy-threads", "8", "--max-request-bytes", "1024",
                "--blocked-threshold-ms", "200");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void sleepAnswersFromALoopAfterTheSleep() throws Exception {
        HttpResponse<String> r = server.get("/sleep?ms=50");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
        assertThat(r.body()).contains("\"slept_ms\":50").containsPattern("\"loop\":\"demo-loop-\\d+\"");
        assertThat(number(r.body(), "elapsed_ms")).isGreaterThanOrEqualTo(50);
    }

    @Test
    void fanoutGathersChildrenConcurrently() throws Exception {
        HttpResponse<String> r = server.get("/fanout?n=500&ms=100");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(number(r.body(), "children")).isEqualTo(500);
        assertThat(number(r.body(), "slowest_child_ms")).isGreaterThanOrEqualTo(100);
        // 500 children of 100 ms each, one after another, would take 50 s: they overlap on one loop
        assertThat(number(r.body(), "elapsed_ms")).isLessThan(500 * 100 / 4);
    }

    @Test
    void legacyWorkersSubmitCoroutinesAndBlockOnTheirFutures() throws Exception {
        HttpResponse<String> r = server.post("/legacy?jobs=40&ms=20");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(number(r.body(), "jobs")).isEqualTo(40);
        assertThat(number(r.body(), "legacy_threads")).isEqualTo(8);
        Matcher m = Pattern.compile("\"demo-loop-\\d+\":(\\d+)").matcher(r.body());
        int total = 0;
        int loops = 0;
        while (m.find()) {
            total += Integer.parseInt(m.group(1));
            loops++;
        }
        assertThat(total).isEqualTo(40);
        assertThat(loops).as("round-robin spreads the jobs over both loops").isEqualTo(2);
    }

    @Test
    void metricsArePrometheusTextWithPerLoopAndJvmMeters() throws Exception {
        server.get("/sleep?ms=1");
        HttpResponse<String> r = server.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body())
                .contains("loopbridge_loop_tasks_total{loop=\"demo-loop-0\",outcome=\"completed\",pool=\"demo\"}")
                .contains("loopbridge_loop_tasks_total{loop=\"demo-loop-1\",outcome=\"completed\",pool=\"demo\"}")
                .contains("loopbridge_loop_busy_seconds_total")
                .contains("loopbridge_loop_lag_seconds_bucket")
                .contains("jvm_threads_live_threads")
                .contains("jvm_memory_used_bytes");
    }

    @Test
    void debugTasksShowsPendingTasksWithTheirStacks() throws Exception {
        CompletableFuture<HttpResponse<String>> pending = server.http.sendAsync(
                HttpRequest.newBuilder(server.uri("/sleep?ms=3000")).build(), HttpResponse.BodyHandlers.ofString());
        String body = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!body.contains("Endpoints") && System.nanoTime() < deadline) {
            body = server.get("/debug/tasks").body(); // bounded poll until the request's task exists
        }
        assertThat(body).contains("\"loops\"").contains("\"name\":\"Task-").contains("\"age_ms\"")
                .contains("io.loopbridge.demo.Endpoints").contains("io.loopbridge.core.Aio.sleep");
        assertThat(pending.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void healthzIsOkWhileEveryLoopRuns() throws Exception {
        HttpResponse<String> r = server.get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"status\":\"ok\"").contains("\"loops\":2");
    }

    /**
     * /debug/block blocks the loop its connection lives on (X-Loop names it); /healthz, asked on a connection of
     * the other loop, answers 503 naming the blocked loop while the watchdog sees it, and 200 again after.
     */
    @Test
    void healthzAnswers503NamingABlockedLoopWhileTheWatchdogSeesItBlocked() throws Exception {
        try (RawHttp blocker = new RawHttp(server.port)) {
            String blockedLoop = blocker.send(RawHttp.get("/healthz")).read().header(HttpHandler.LOOP_HEADER);
            RawHttp other = new RawHttp(server.port);
            for (int i = 0; i < 10 && blockedLoop.equals(other.send(RawHttp.get("/healthz")).read()
                    .header(HttpHandler.LOOP_HEADER)); i++) {
                other.close(); // bounded: round robin puts the next connection on the other loop
                other = new RawHttp(server.port);
            }
            try (RawHttp healthConnection = other) {
                blocker.send(RawHttp.request("POST", "/debug/block?ms=2000"));
                RawHttp.Reply health = healthConnection.send(RawHttp.get("/healthz")).read();
                while (health.status() == 200 && !blocker.answeredWithin(1)) {
                    health = healthConnection.send(RawHttp.get("/healthz")).read(); // bounded by the block's 2 s
                }
                RawHttp.Reply blocked = blocker.read();
                assertThat(blocked.status()).isEqualTo(200);
                assertThat(blocked.body()).contains("\"blocked_loop\":\"" + blockedLoop + "\"");
                assertThat(number(blocked.body(), "reported_blocked")).isGreaterThanOrEqualTo(1);
                assertThat(health.status()).as(health.body()).isEqualTo(503);
                assertThat(health.body()).contains("\"status\":\"unhealthy\"")
                        .contains("\"blocked\":[{\"loop\":\"" + blockedLoop + "\"");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (healthConnection.send(RawHttp.get("/healthz")).read().status() != 200
                        && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // bounded poll: the watchdog sees the loop free within its sampling interval
                }
                assertThat(healthConnection.send(RawHttp.get("/healthz")).read().status()).isEqualTo(200);
                assertThat(server.log.toString()).contains("Event loop '" + blockedLoop + "' is blocked")
                        .contains("lambda$debugBlock");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "GET, /sleep, 400, missing parameter 'ms'",
        "GET, /sleep?ms=abc, 400, parameter 'ms' must be an integer in [0, 60000]",
        "GET, /sleep?ms=-1, 400, parameter 'ms' must be an integer",
        "GET, /sleep?ms=60001, 400, parameter 'ms' must be an integer",
        "GET, /sleep?ms=99999999999999999999, 400, parameter 'ms'",
        "GET, /sleep?ms=NaN, 400, parameter 'ms'",
        "GET, /fanout?n=0&ms=1, 400, parameter 'n' must be an integer in [1, 10000]",
        "GET, /fanout?n=10, 400, missing parameter 'ms'",
        "POST, /legacy?jobs=100000&ms=1, 400, parameter 'jobs'",
        "GET, /sleep?ms=10&ms=20, 400, parameter 'ms' given 2 times; give it once",
        "GET, /nope, 404, no such path",
        "POST, /sleep?ms=1, 405, not allowed; use GET or HEAD",
        "GET, /legacy?jobs=1&ms=1, 405, not allowed; use POST",
        "DELETE, /metrics, 405, not allowed",
    })
    void badInputGetsAClearJsonError(String method, String path, int status, String message) throws Exception {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri(path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.body()).startsWith("{\"error\":").contains(message);
        assertThat(server.get("/healthz").statusCode()).as("the server survives").isEqualTo(200);
    }

    @Test
    void oversizedRequestGets413() throws Exception {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/legacy?jobs=1&ms=1"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(4096))).build());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).isEqualTo("{\"error\":\"request body larger than 1024 bytes (--max-request-bytes)\"}\n");
        assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "a 20 KB header, 431, request headers larger than 8192 bytes",
        "a 10 KB URL, 414, request line longer than 4096 bytes",
        "a header line without a colon, 400, malformed request",
    })
    void unreadableRequestsGetAJsonErrorAndTheConnectionIsClosed(String what, int status, String message)
            throws Exception {
        String request = switch (what) {
            case "a 20 KB header" -> RawHttp.get("/healthz", "X-Big: " + "a".repeat(20_000));
            case "a 10 KB URL" -> RawHttp.get("/sleep?ms=1&pad=" + "a".repeat(10_000));
            default -> RawHttp.get("/healthz", "no colon here");
        };
        try (RawHttp c = new RawHttp(server.port)) {
            RawHttp.Reply r = c.send(request).read();
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.body()).startsWith("{\"error\":\"" + message);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInRequestOrderUpToConnectionClose() throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            c.send(RawHttp.get("/sleep?ms=200") + RawHttp.get("/sleep?ms=1")
                    + RawHttp.get("/healthz", "Connection: close") + RawHttp.get("/sleep?ms=2"));
            RawHttp.Reply first = c.read();
            RawHttp.Reply second = c.read();
            RawHttp.Reply third = c.read();
            assertThat(first.body()).contains("\"slept_ms\":200");
            assertThat(second.body()).contains("\"slept_ms\":1,");
            // /healthz's answer, whatever it says (on a loaded machine the watchdog may see the other loop slow)
            assertThat(third.body()).contains("\"status\":").contains("\"loops\":2");
            assertThat(third.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).as("nothing after the Connection: close request's answer").isTrue();
        }
    }

    /**
     * A connection lives on one loop: its requests are read, served by their coroutines and written there. The
     * X-Loop header names the loop that wrote each response; the coroutine's own answer names the loop it ran
     * on; pipelined requests on one connection all come back from that loop, in request order.
     */
    @Test
    void eachConnectionsRequestsAreReadServedAndWrittenOnItsOwnLoopInRequestOrder() throws Exception {
        java.util.Set<String> loops = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            try (RawHttp c = new RawHttp(server.port)) {
                c.send(RawHttp.get("/sleep?ms=100") + RawHttp.get("/sleep?ms=1") + RawHttp.get("/healthz"));
                RawHttp.Reply slow = c.read();
                RawHttp.Reply fast = c.read();
                RawHttp.Reply health = c.read();
                String loop = slow.header(HttpHandler.LOOP_HEADER);
                assertThat(loop).matches("demo-loop-\\d+");
                assertThat(slow.body()).contains("\"slept_ms\":100").contains("\"loop\":\"" + loop + "\"");
                assertThat(fast.body()).contains("\"slept_ms\":1,").contains("\"loop\":\"" + loop + "\"");
                assertThat(fast.header(HttpHandler.LOOP_HEADER)).isEqualTo(loop);
                assertThat(health.header(HttpHandler.LOOP_HEADER)).isEqualTo(loop);
                assertThat(health.body()).contains("\"status\":").contains("\"loops\":2"); // /healthz's answer
                loops.add(loop);
            }
        }
        assertThat(loops).as("connections are spread over the pool's loops").containsExactlyInAnyOrder("demo-loop-0",
                "demo-loop-1");
    }

    @Test
    void metricsCountEachLoopsChannelsAndIoTime() throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            assertThat(c.send(RawHttp.get("/sleep?ms=1")).read().status()).isEqualTo(200);
            String metrics = server.get("/metrics").body();
            assertThat(PrometheusText.sum(metrics, "loopbridge_loop_channels"))
                    .as("the listening channel, this connection and the scrape's").isGreaterThanOrEqualTo(3);
            assertThat(PrometheusText.sum(metrics, "loopbridge_loop_io_busy_seconds_total")).isPositive();
        }
    }

    @Test
    void headOnAGetEndpointAnswersItsHeadersWithoutABody() throws Exception {
        try (RawHttp c = new RawHttp(server.port)) {
            c.send(RawHttp.request("HEAD", "/healthz") + RawHttp.get("/healthz"));
            RawHttp.Reply head = c.read(true);
            RawHttp.Reply get = c.read();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).contains("json");
            assertThat(head.header("content-length")).isEqualTo(String.valueOf(get.body().length()));
            assertThat(get.status()).as("the next bytes are the next response: HEAD sent no body").isEqualTo(200);
        }
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/sleep?ms=1"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void theWholeScrapePassesPromtool() throws Exception {
        server.get("/sleep?ms=1");
        String scrape = server.get("/metrics").body();
        assertThat(scrape).contains("demo_connections_open ").contains("demo_connections_refused_total ")
                .contains("demo_connections_timed_out_total ").contains("system_cpus ");
        Promtool.assertLintClean(scrape);
    }

    @Test
    void twoThousandConcurrentSleepsAreHeldWithoutNewThreads() throws Exception {
        server.get("/sleep?ms=1");
        int before = liveThreads();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            all.add(server.http.sendAsync(HttpRequest.newBuilder(server.uri("/sleep?ms=200"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int peak = before;
        int maxActive = 0;
        while (!CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).isDone()) {
            String metrics = server.get("/metrics").body();
            maxActive = Math.max(maxActive, (int) PrometheusText.sum(metrics, "loopbridge_loop_tasks_active"));
            peak = Math.max(peak, (int) PrometheusText.sum(metrics, "jvm_threads_live_threads"));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
        assertThat(maxActive).as("requests held at once by the loops").isGreaterThan(100);
        assertThat(peak).as("server threads during the load").isEqualTo(before);
        assertThat(liveThreads()).isEqualTo(before);
    }

    private static int liveThreads() throws Exception {
        return (int) PrometheusText.sum(server.get("/metrics").body(), "jvm_threads_live_threads");
    }

    static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?\\d+)").matcher(json);
        assertThat(m.find()).as(field + " in " + json).isTrue();
        return Long.parseLong(m.group(1));
    }

}
