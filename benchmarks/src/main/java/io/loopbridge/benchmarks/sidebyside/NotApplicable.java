package io.loopbridge.benchmarks.sidebyside;

/** A system cannot express a workload meaningfully; the message says why and is printed as "n/a". */
final class NotApplicable extends Exception {
    NotApplicable(String reason) {
        super(reason, null, false, false);
    }
}
