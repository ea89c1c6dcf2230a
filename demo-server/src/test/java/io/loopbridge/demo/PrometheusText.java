package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared test fixture: reads a metric out of the demo's Prometheus text. */
final class PrometheusText {
    private PrometheusText() {
    }

    /** The sum of a metric's samples in Prometheus text; fails the test if it has none. */
    static double sum(String scrape, String metric) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(\\{[^}]*\\})? (\\S+)$").matcher(scrape);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            total += Double.parseDouble(m.group(2));
            found = true;
        }
        assertThat(found).as(metric + " in scrape").isTrue();
        return total;
    }
}
