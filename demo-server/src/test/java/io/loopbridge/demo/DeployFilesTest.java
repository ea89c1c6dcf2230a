package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No Docker engine runs on the project's machines, so the Dockerfile, docker-compose.yml, the Prometheus config
 * and the Grafana dashboard are checked here against the code they describe: ports, flags, environment
 * variables, and every metric the dashboard queries.
 */
@Timeout(120)
class DeployFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static String read(String file) throws Exception {
        return Files.readString(ROOT.resolve(file));
    }

    @Test
    void composeDockerfileAndPrometheusAgreeOnTheServer() throws Exception {
        String compose = read("docker-compose.yml");
        String dockerfile = read("Dockerfile");
        String prometheus = read("deploy/prometheus/prometheus.yml");

        assertThat(dockerfile).contains("EXPOSE 8080").contains("LOOPBRIDGE_PORT=8080").contains("LOOPBRIDGE_HOST=0.0.0.0")
                .contains("--add-opens\", \"java.base/java.lang=ALL-UNNAMED")
                .contains("/src/demo-server/target/demo-server.jar");
        assertThat(read("demo-server/pom.xml")).contains("<finalName>demo-server</finalName>");
        assertThat(compose).contains("demo-server:").contains("\"127.0.0.1:8080:8080\"")
                .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml")
                .contains("./deploy/grafana/provisioning:/etc/grafana/provisioning")
                .contains("./deploy/grafana/dashboards:/var/lib/grafana/dashboards");
        assertThat(prometheus).contains("scrape_interval: 5s").contains("metrics_path: /metrics")
                .contains("\"demo-server:8080\"");
        assertThat(read("deploy/grafana/provisioning/dashboards/loopbridge.yml"))
                .contains("path: /var/lib/grafana/dashboards");

        // Every LOOPBRIDGE_* variable compose and the Dockerfile set is one the server understands.
        Map<String, String> env = new HashMap<>();
        Matcher m = Pattern.compile("(LOOPBRIDGE_[A-Z_]+)[:=] ?\"?([^\"\\s]+)\"?").matcher(compose + "\n" + dockerfile);
        while (m.find()) {
            env.put(m.group(1), m.group(2));
        }
        assertThat(env).containsKeys("LOOPBRIDGE_LOOPS", "LOOPBRIDGE_PORT", "LOOPBRIDGE_HOST");
        for (String name : env.keySet()) {
            assertThat(DemoConfig.help()).as(name + " is a documented setting").contains(name);
        }
        DemoConfig config = DemoConfig.parse(new String[0], env);
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.host()).isEqualTo("0.0.0.0");

        Path promtool = Path.of("/usr/bin/promtool");
        if (Files.isExecutable(promtool)) {
            Process p = new ProcessBuilder(promtool.toString(), "check", "config",
                    ROOT.resolve("deploy/prometheus/prometheus.yml").toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        }
    }

    @Test
    void theDockerfilePrefetchesWithEveryModulePomAndBoundsTheHeap() throws Exception {
        String dockerfile = read("Dockerfile");
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(read("pom.xml"));
        int modules = 0;
        while (module.find()) {
            modules++;
            assertThat(dockerfile).as("the reactor needs every module's pom").contains("COPY " + module.group(1)
                    + "/pom.xml " + module.group(1) + "/");
        }
        assertThat(modules).isGreaterThanOrEqualTo(6);
        assertThat(dockerfile).contains("RUN mvn -B -q -pl demo-server -am org.apache.maven.plugins:maven-dependency-plugin:3.8.1:go-offline\n")
                .doesNotContain("|| true").contains("ENTRYPOINT [\"java\", \"-XX:MaxRAMPercentage=75\"");
        String runSh = read("demo-server/run.sh");
        assertThat(runSh).contains("mvn -B -q -Dstyle.color=never").contains("${JAVA_OPTS:--Xmx512m}");
    }

    @Test
    void composeChecksHealthWithTheJarAndSaysWhatDebugRemoteExposes() throws Exception {
        String compose = read("docker-compose.yml");
        assertThat(compose).doesNotContain("/dev/tcp")
                .contains("test: [\"CMD\", \"java\", \"-Xmx32m\", \"-jar\", \"/app/demo-server.jar\", \"--healthcheck\"]");
        String debugRemote = compose.substring(0, compose.indexOf("LOOPBRIDGE_DEBUG_REMOTE"));
        assertThat(debugRemote.substring(debugRemote.lastIndexOf("environment:")))
                .contains("/debug/tasks").contains("/debug/block");
    }

    @Test
    void healthcheckModeExitsZeroForAHealthyServerAndOneForNone() throws Exception {
        int port;
        try (DemoProcess demo = new DemoProcess("--loops", "1")) {
            port = demo.port;
            DemoProcess.Exit healthy = DemoProcess.run("--healthcheck", "--port", String.valueOf(port));
            assertThat(healthy.code()).as(healthy.toString()).isZero();
            assertThat(healthy.stdout()).contains("/healthz: 200").contains("\"status\":\"ok\"");
        }
        DemoProcess.Exit none = DemoProcess.run("--healthcheck", "--port", String.valueOf(port));
        assertThat(none.code()).as(none.toString()).isEqualTo(1);
        assertThat(none.stdout()).contains("no answer").contains("is the server running on port " + port + "?");
    }

    @Test
    void everyMetricTheDashboardQueriesIsServed() throws Exception {
        String dashboard = read("deploy/grafana/dashboards/loopbridge.json");
        Set<String> queried = new LinkedHashSet<>();
        Matcher m = Pattern.compile("loopbridge_[a-z_]+").matcher(dashboard);
        while (m.find()) {
            queried.add(m.group());
        }
        assertThat(queried).contains("loopbridge_loop_busy_seconds_total", "loopbridge_loop_lag_seconds_bucket",
                "loopbridge_loop_inbox", "loopbridge_loop_tasks_total", "loopbridge_loop_io_busy_seconds_total",
                "loopbridge_loop_channels");
        try (DemoProcess demo = new DemoProcess("--loops", "1")) {
            demo.get("/sleep?ms=1");
            String scrape = demo.get("/metrics").body();
            for (String metric : queried) {
                assertThat(scrape).as("the dashboard's " + metric + " is served").containsPattern("(?m)^" + metric + "[{ ]");
            }
        }
    }
}
