package io.loopbridge.stress;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.openjdk.jcstress.Main;

/**
 * Runs jcstress ({@link Main}, same arguments) and exits 1 if any test failed or errored: jcstress 0.16
 * itself exits 0 whatever it found, which would let a FORBIDDEN outcome pass a build.
 */
public final class RunStressTests {
    private RunStressTests() {
    }

    public static void main(String[] args) throws Exception {
        // jcstress reports through System.out: keep a copy to read its summary from.
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream console = System.out;
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                console.write(b);
                copy.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                console.write(b, off, len);
                copy.write(b, off, len);
            }

            @Override
            public void flush() {
                console.flush();
            }
        }, true, StandardCharsets.UTF_8));
        Main.main(args);
        System.out.flush();
        String report = copy.toString(StandardCharsets.UTF_8);
        boolean clean = report.contains("Failed tests: No matches.") && report.contains("Error tests: No matches.");
        boolean ranSome = report.contains("Results:") && !report.contains("Results: 0 planned");
        if (!clean || !ranSome) {
            console.println(clean ? "jcstress ran no test" : "jcstress: a test FAILED (a FORBIDDEN outcome) or errored: see above");
            System.exit(1);
        }
    }
}
