package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class DemoServerLifecycleTest {

    @Test
    void sigtermClosesIdleConnectionsAtOnceAndExitsWhenInFlightWorkIsDone() throws Exception {
        try (DemoProcess server = new DemoProcess("--loops", "2", "--grace-ms", "30000");
                RawHttp idle = new RawHttp(server.port);
                RawHttp busy = new RawHttp(server.port)) {
            assertThat(idle.send(RawHttp.get("/healthz")).read().status()).isEqualTo(200); // now idle, kept alive
            busy.send(RawHttp.get("/sleep?ms=3000"));
            awaitTask(server);
            long t0 = System.nanoTime();
            server.sigterm();
            assertThat(idle.closedByServer()).as("the idle keep-alive connection is closed").isTrue();
            long idleClosed = System.nanoTime();
            RawHttp.Reply r = busy.read();
            long answered = System.nanoTime();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"slept_ms\":3000");
            assertThat(r.header("connection")).as("answered during the drain").isEqualTo("close");
            assertThat(busy.closedByServer()).isTrue();
            assertThat(idleClosed).as("the idle connection closed before the in-flight request ended").isLessThan(answered);
            assertThat(server.awaitExit()).as("exit code; log: " + server.log).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("exit once in-flight work is done, not after the"
                    + " 30 s grace period").isLessThan(Duration.ofSeconds(15));
            assertThat(server.log).anyMatch(l -> l.contains("stopped"));
            assertThat(server.log).as("the start line says where and which engine")
                    .anyMatch(l -> l.contains("listening on http://127.0.0.1:") && l.contains("fast coroutine engine"));
        }
    }

    /**
     * SIGTERM while two pipelined requests are in flight on one connection: both are answered, in order, the first
     * keeping the connection open and the last closing it; no response is lost, and the process exits 0.
     */
    @Test
    void sigtermAnswersEveryPipelinedRequestInFlightThenClosesTheConnection() throws Exception {
        try (DemoProcess server = new DemoProcess("--loops", "2", "--grace-ms", "30000");
                RawHttp c = new RawHttp(server.port)) {
            c.send(RawHttp.get("/sleep?ms=1500") + RawHttp.get("/sleep?ms=10"));
            awaitTask(server);
            server.sigterm();
            RawHttp.Reply first = c.read();
            RawHttp.Reply second = c.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).contains("\"slept_ms\":1500");
            assertThat(first.header("connection")).as("not the connection's last answer").isNotEqualTo("close");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).contains("\"slept_ms\":10,");
            assertThat(second.header("connection")).isEqualTo("close");
            assertThat(second.header(HttpHandler.LOOP_HEADER)).isEqualTo(first.header(HttpHandler.LOOP_HEADER));
            assertThat(c.closedByServer()).isTrue();
            assertThat(server.awaitExit()).as("exit code; log: " + server.log).isZero();
        }
    }

    @Test
    void requestsStillRunningAtTheEndOfTheGracePeriodGet503AndOneSummaryLine() throws Exception {
        try (DemoProcess server = new DemoProcess("--loops", "1", "--grace-ms", "500");
                RawHttp slow = new RawHttp(server.port)) {
            slow.send(RawHttp.get("/sleep?ms=60000"));
            awaitTask(server);
            assertThat(server.terminate()).as("exit code; log: " + server.log).isZero();
            RawHttp.Reply r = slow.read();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).startsWith("{\"error\":\"shutting down").contains("--grace-ms");
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(server.log).as("one summary line").filteredOn(l -> l.contains("grace period"))
                    .containsExactly("[main] WARN io.loopbridge.demo.DemoServer - grace period (500 ms) over: answered 1"
                            + " unfinished requests with 503");
            assertThat(server.log).as("no stack trace").noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception"));
        }
    }

    @Test
    void aTakenPortEndsTheProcessAtOnceWithOneLineNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            DemoProcess.Exit exit = DemoProcess.run("--port", String.valueOf(port));
            assertThat(exit.code()).isEqualTo(1);
            assertThat(exit.took()).as("no hang: exits as soon as the bind fails").isLessThan(Duration.ofSeconds(20));
            assertThat(exit.stderr().lines().toList()).containsExactly("cannot listen on 127.0.0.1:" + port
                    + ": Address already in use (another process holds the port? choose another with --port or"
                    + " LOOPBRIDGE_PORT)");
        }
    }

    /** Bounded poll until a request's task is pending on a loop, i.e. the request is in flight. */
    private static void awaitTask(DemoProcess server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        boolean seen = false;
        while (!seen && System.nanoTime() < deadline) {
            seen = server.get("/debug/tasks").body().contains("Task-");
        }
        assertThat(seen).as("the in-flight request's task appeared").isTrue();
    }

    @Test
    void helpListsEveryOptionInAlignedColumns() {
        List<String> rows = DemoConfig.help().lines().filter(l -> l.startsWith("  --")).toList();
        assertThat(rows).hasSizeGreaterThan(10).anyMatch(l -> l.startsWith("  --healthcheck"));
        Pattern row = Pattern.compile("^  --\\S+ +(?:(LOOPBRIDGE_\\S+) +)?(\\S.*)$");
        Set<Integer> envColumns = new HashSet<>();
        Set<Integer> textColumns = new HashSet<>();
        for (String l : rows) {
            Matcher m = row.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            if (m.group(1) != null) {
                envColumns.add(m.start(1));
            }
            textColumns.add(m.start(2));
        }
        assertThat(envColumns).as("variables start in one column").hasSize(1);
        assertThat(textColumns).as("descriptions start in one column, the last line's too").hasSize(1);
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
