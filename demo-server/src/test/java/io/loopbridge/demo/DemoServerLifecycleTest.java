package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class DemoServerLifecycleTest {

    @Test
    void sigtermFinishesInFlightRequestsThenExitsZero() throws Exception {
        try (DemoProcess server = new DemoProcess("--loops", "2", "--grace-ms", "10000")) {
            CompletableFuture<HttpResponse<String>> inFlight = server.http.sendAsync(
                    HttpRequest.newBuilder(server.uri("/sleep?ms=1500")).build(), HttpResponse.BodyHandlers.ofString());
            // the request is in flight once its task exists (bounded poll)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            boolean seen = false;
            while (!seen && System.nanoTime() < deadline) {
                seen = server.get("/debug/tasks").body().contains("Task-");
            }
            assertThat(seen).as("the in-flight request's task appeared").isTrue();
            assertThat(server.terminate()).as("exit code; log: " + server.log).isZero();
            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"slept_ms\":1500");
            assertThat(server.log).anyMatch(l -> l.contains("stopped"));
            assertThat(server.log).as("the start line says where and which engine")
                    .anyMatch(l -> l.contains("listening on http://127.0.0.1:") && l.contains("fast coroutine engine"));
        }
    }

    @Test
    void helpPrintsEveryOptionAndBadFlagsExitTwo() throws Exception {
        assertThat(DemoConfig.help()).contains("--port").contains("LOOPBRIDGE_PORT").contains("--max-sleep-ms");
        assertThatThrownBy(() -> DemoConfig.parse(new String[] {"--help"}, Map.of()))
                .isInstanceOf(DemoConfig.HelpRequested.class);
        assertThatThrownBy(() -> DemoConfig.parse(new String[] {"--port", "70000"}, Map.of()))
                .hasMessageContaining("--port must be an integer in [0, 65535]");
        assertThatThrownBy(() -> DemoConfig.parse(new String[] {"--bogus=1"}, Map.of()))
                .hasMessageContaining("unknown flag --bogus");
        DemoConfig c = DemoConfig.parse(new String[] {"--loops=3"}, Map.of("LOOPBRIDGE_PORT", "9999",
                "LOOPBRIDGE_LOOPS", "5"));
        assertThat(c.port()).isEqualTo(9999);
        assertThat(c.loops()).as("a flag wins over the environment").isEqualTo(3);
    }
}
