package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's package) scrapes the demo server; its HTTP API must then show a
 * loopbridge_loop_tasks_total series for each loop with the values of a known workload.
 */
@Timeout(180)
class PrometheusScrapeTest {
    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

    @Test
    void prometheusSeesEveryLoopsTaskCounters(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(PROMETHEUS)) {
            assertThat(System.getenv("CI")).as("CI installs prometheus (.ci/run); never skipped there").isNotEqualTo("true");
            System.out.println("SKIPPED PrometheusScrapeTest: " + PROMETHEUS + " is absent (apt-get install prometheus)");
            assumeTrue(false, PROMETHEUS + " is absent");
        }
        try (DemoProcess demo = new DemoProcess("--loops", "2")) {
            int requests = 50;
            for (int i = 0; i < requests; i++) {
                assertThat(demo.get("/sleep?ms=1").statusCode()).isEqualTo(200);
            }
            int promPort = freePort();
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: demo
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(demo.port));
            List<String> cmd = List.of(PROMETHEUS.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + promPort);
            Process prometheus = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String query = "loopbridge_loop_tasks_total{outcome=\"completed\"}";
                String result = "";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (System.nanoTime() < deadline) {
                    result = query(demo, promPort, query);
                    if (result.contains("demo-loop-0") && result.contains("demo-loop-1")) {
                        break;
                    }
                    prometheus.waitFor(500, TimeUnit.MILLISECONDS); // polling interval; ends early if it died
                    assertThat(prometheus.isAlive()).as("prometheus runs; log: " + Files.readString(dir.resolve("prometheus.log"))).isTrue();
                }
                assertThat(result).contains("\"loop\":\"demo-loop-0\"").contains("\"loop\":\"demo-loop-1\"")
                        .contains("\"pool\":\"demo\"");
                String total = query(demo, promPort, "sum(" + query + ")");
                assertThat(total).contains("\"" + requests + "\"");
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private static String query(DemoProcess demo, int port, String promql) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            HttpResponse<String> r = demo.http.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "";
        } catch (java.io.IOException notUpYet) {
            return "";
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

}
