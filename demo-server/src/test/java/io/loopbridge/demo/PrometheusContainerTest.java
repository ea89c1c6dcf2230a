package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * The same check as {@link PrometheusScrapeTest} with the official Prometheus image, for machines with a Docker
 * engine. Skipped where none runs (as on the project's CI machines).
 */
@EnabledIf("dockerAvailable")
@Timeout(300)
class PrometheusContainerTest {

    /**
     * Testcontainers' own check, asked only where a Docker endpoint may be: with none at all it would log an
     * ERROR ("Could not find a valid Docker environment") and JDK warnings (JNA) in every build of a machine
     * without Docker, where skipping is the expected outcome. Where one may be, its verdict and its logs stand.
     */
    static boolean dockerAvailable() {
        return dockerEndpointMayExist() && DockerClientFactory.instance().isDockerAvailable();
    }

    private static boolean dockerEndpointMayExist() {
        if (System.getenv("DOCKER_HOST") != null) {
            return true;
        }
        String home = System.getProperty("user.home");
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/var/run/docker.sock"),
                Path.of(home, ".testcontainers.properties"), // may name a docker.host or a strategy
                Path.of(home, ".docker", "run", "docker.sock"), Path.of(home, ".docker", "desktop", "docker.sock"),
                Path.of(home, ".colima", "default", "docker.sock"), Path.of(home, ".rd", "docker.sock")));
        if (runtime != null) {
            candidates.add(Path.of(runtime, "docker.sock")); // rootless Docker, Podman's socket service
            candidates.add(Path.of(runtime, "podman", "podman.sock"));
        }
        return candidates.stream().anyMatch(Files::exists);
    }

    @Test
    void officialPrometheusImageScrapesTheDemo() throws Exception {
        try (DemoProcess demo = new DemoProcess("--loops", "2", "--host", "0.0.0.0")) {
            for (int i = 0; i < 20; i++) {
                assertThat(demo.get("/sleep?ms=1").statusCode()).isEqualTo(200);
            }
            org.testcontainers.Testcontainers.exposeHostPorts(demo.port);
            String config = """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: demo
                        static_configs:
                          - targets: ["host.testcontainers.internal:%d"]
                    """.formatted(demo.port);
            try (GenericContainer<?> prometheus = new GenericContainer<>("prom/prometheus:v2.53.0")
                    .withCopyToContainer(Transferable.of(config), "/etc/prometheus/prometheus.yml")
                    .withExposedPorts(9090)) {
                prometheus.start();
                String base = "http://" + prometheus.getHost() + ":" + prometheus.getMappedPort(9090);
                String q = URLEncoder.encode("sum(loopbridge_loop_tasks_total{outcome=\"completed\"})", StandardCharsets.UTF_8);
                String body = "";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline && !body.contains("\"20\"")) {
                    HttpResponse<String> r = demo.http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/query?query=" + q))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    body = r.body();
                    TimeUnit.MILLISECONDS.sleep(500); // polling interval of an external system, not synchronisation
                }
                assertThat(body).contains("\"20\"");
            }
        }
    }
}
