package io.loopbridge.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo server as a user runs it: its own JVM (the test's JDK, the test's classpath), a free port, its log
 * read until it says where it listens. Closing it sends SIGTERM.
 */
final class DemoProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^:]+):(\\d+)");

    final Process process;
    final int port;
    final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** How a run of the demo's main that ends by itself ended. */
    record Exit(int code, String stdout, String stderr, Duration took) {
    }

    DemoProcess(String... args) throws Exception {
        List<String> cmd = command("--port", "0");
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(Integer.parseInt(m.group(2)));
                    }
                }
            } catch (IOException e) {
                // process ended
            }
            listening.completeExceptionally(new IllegalStateException("demo server exited: " + log));
        }, "demo-log-reader");
        reader.setDaemon(true);
        reader.start();
        port = listening.get(60, TimeUnit.SECONDS); // generous: CI shares 2 cores
    }

    private static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), DemoServer.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs the demo's main with these arguments to its end (at most 60 s) and tells how it ended. */
    static Exit run(String... args) throws Exception {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("demo-out", ".txt");
        java.nio.file.Path err = java.nio.file.Files.createTempFile("demo-err", ".txt");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(command(args)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                throw new AssertionError("demo " + List.of(args) + " still ran after 60 s; stderr: "
                        + java.nio.file.Files.readString(err));
            }
            return new Exit(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err),
                    Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            java.nio.file.Files.delete(out);
            java.nio.file.Files.delete(err);
        }
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).GET().timeout(Duration.ofSeconds(30)).build());
    }

    HttpResponse<String> post(String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(60)).build());
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** SIGTERM, then the exit code (bounded wait). */
    int terminate() throws Exception {
        sigterm();
        return awaitExit();
    }

    void sigterm() {
        process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the log pipe we still read
    }

    /** The exit code, once the process has exited (at most 30 s). */
    int awaitExit() throws Exception {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("demo server did not exit within 30 s of SIGTERM; log: " + log);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10)); // the log's last lines
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        http.close();
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
