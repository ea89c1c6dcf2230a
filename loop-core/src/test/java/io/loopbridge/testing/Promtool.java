package io.loopbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Shared test fixture: runs Prometheus's own linter, {@code promtool check metrics}, over scrape text. */
public final class Promtool {
    private Promtool() {
    }

    /** Fails the test if promtool finds a problem; skips it where promtool is missing, except in CI. */
    public static void assertLintClean(String scrape) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            // CI installs Debian's prometheus package (.ci/run); there the check is never skipped.
            assertThat(System.getenv("CI")).as("promtool is required in CI").isNotEqualTo("true");
            assumeTrue(false, "promtool not installed (apt-get install prometheus): lint check skipped");
        }
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("promtool check metrics said:\n" + out).isZero();
    }
}
