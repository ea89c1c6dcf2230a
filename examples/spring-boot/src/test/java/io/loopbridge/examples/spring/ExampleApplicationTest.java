package io.loopbridge.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

/** The example over HTTP: the controller's coroutines answer, and the actuator shows the pool. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
class ExampleApplicationTest {
    private static HttpClient client;

    @LocalServerPort
    int port;

    @BeforeAll
    static void client() {
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void close() {
        client.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aControllerReturnsTheFutureOfACoroutineThatSleeps() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = get("/sleep?ms=50");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("slept 50 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }

    @Test
    void aFanOutOfAThousandSleepsTakesAboutOneSleep() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = get("/fanout?n=1000&ms=200");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("1000 children slept 200 ms");
        // Sequentially it would take 200 s.
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void healthIsUpWithEveryLoopRunning() throws Exception {
        HttpResponse<String> r = get("/actuator/health");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"loopPool\"").contains("\"loopbridge-loop-0\"")
                .contains("\"loopbridge-loop-1\"").doesNotContain("\"DOWN\"");
    }

    @Test
    void prometheusShowsEveryLoop() throws Exception {
        get("/sleep?ms=1");
        HttpResponse<String> r = get("/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("loopbridge_bridge_submitted_total{pool=\"loopbridge\"}")
                .containsPattern("loopbridge_loop_\\w+\\{loop=\"loopbridge-loop-0\",pool=\"loopbridge\"")
                .containsPattern("loopbridge_loop_\\w+\\{loop=\"loopbridge-loop-1\",pool=\"loopbridge\"");
    }

    @Test
    void theTasksEndpointListsEveryLoop() throws Exception {
        HttpResponse<String> r = get("/actuator/looptasks");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"pool\":\"loopbridge\"").contains("\"loop\":\"loopbridge-loop-0\"")
                .contains("\"loop\":\"loopbridge-loop-1\"");
    }
}
