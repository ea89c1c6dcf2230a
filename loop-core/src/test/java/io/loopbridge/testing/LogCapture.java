package io.loopbridge.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Shared test fixture: takes what slf4j-simple writes to System.err (it looks the stream up at every write)
 * while open, for a test that expects a log line to assert on it. Nothing reaches the console meanwhile:
 * a log line a test provokes on purpose is the test's to check, not the build log's to show.
 *
 * <pre>{@code
 * try (LogCapture logs = new LogCapture()) {
 *     runOneIteration();
 *     assertThat(logs.text()).contains("Exception in callback");   // AssertJ shows the text if it fails
 * }
 * }</pre>
 *
 * <p>Shared with the other modules' tests through loop-core's test-jar (package {@code io.loopbridge.testing}).
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    public LogCapture() {
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
    }

    /** Everything logged so far (any thread). */
    public String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    /** How many times {@code what} was logged so far. */
    public int count(String what) {
        String text = text();
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
