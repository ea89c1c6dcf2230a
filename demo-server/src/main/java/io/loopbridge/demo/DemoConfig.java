package io.loopbridge.demo;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo server's settings: each is a flag ({@code --port 8080} or {@code --port=8080}) or an environment
 * variable ({@code LOOPBRIDGE_PORT}); a flag wins. {@code --help} prints them.
 */
record DemoConfig(
        String host,
        int port,
        int loops,
        String transport,
        int legacyThreads,
        int maxSleepMs,
        int maxFanout,
        int maxJobs,
        int maxRequestBytes,
        int maxConnections,
        Duration idleTimeout,
        Duration requestTimeout,
        boolean debugRemote,
        Duration grace,
        Duration blockedThreshold,
        boolean healthcheck) {

    /** name → (default, help). Order is the --help order. */
    private static final Map<String, String[]> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("host", new String[] {"127.0.0.1", "address to listen on"});
        OPTIONS.put("port", new String[] {"8080", "port to listen on (0: any free port)"});
        OPTIONS.put("loops", new String[] {String.valueOf(Runtime.getRuntime().availableProcessors()),
                "event loops in the pool"});
        OPTIONS.put("transport", new String[] {"auto",
                "the loops' Netty transport: auto (epoll, else io_uring, else nio) or nio"});
        OPTIONS.put("legacy-threads", new String[] {"16", "blocking workers of the legacy thread pool"});
        OPTIONS.put("max-sleep-ms", new String[] {"60000", "largest ms accepted by /sleep, /fanout, /legacy"});
        OPTIONS.put("max-fanout", new String[] {"10000", "largest n accepted by /fanout"});
        OPTIONS.put("max-jobs", new String[] {"10000", "largest jobs accepted by /legacy"});
        OPTIONS.put("max-request-bytes", new String[] {"65536", "largest request body; larger gets 413"});
        OPTIONS.put("max-connections", new String[] {"10000", "open connections beyond this are closed at once"});
        OPTIONS.put("idle-timeout-ms", new String[] {"30000", "a connection with no request for this long is closed"});
        OPTIONS.put("request-timeout-ms", new String[] {"10000",
                "a request must arrive whole this long after its first byte, else 408 and close"});
        OPTIONS.put("debug-remote", new String[] {"false", "serve /debug/tasks and /debug/block to non-loopback clients"});
        OPTIONS.put("grace-ms", new String[] {"10000", "on SIGTERM, how long in-flight requests may finish (then 503)"});
        OPTIONS.put("blocked-threshold-ms", new String[] {"2000",
                "a loop running one callback this long is reported blocked, /healthz 503 (0: watchdog off)"});
    }

    static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super(help());
        }
    }

    /** A mode, not a setting: ask a running server's /healthz and exit 0 (200) or 1 (anything else). */
    static final String HEALTHCHECK = "healthcheck";
    private static final String HEALTHCHECK_HELP = "GET /healthz of the server at --host/--port (wildcard host: "
            + "127.0.0.1), exit 0 if it answers 200, else 1";

    static DemoConfig parse(String[] args, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean healthcheck = false;
        OPTIONS.forEach((name, spec) -> {
            String fromEnv = env.get("LOOPBRIDGE_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
            values.put(name, fromEnv != null ? fromEnv : spec[0]);
        });
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new HelpRequested();
            }
            if (arg.equals("--" + HEALTHCHECK)) {
                healthcheck = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "' (see --help)");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("flag --" + name + " needs a value (see --help)");
            }
            if (!OPTIONS.containsKey(name)) {
                throw new IllegalArgumentException("unknown flag --" + name + " (see --help)");
            }
            values.put(name, value);
        }
        return new DemoConfig(
                values.get("host"),
                intIn(values, "port", 0, 65535),
                intIn(values, "loops", 1, 1024),
                oneOf(values, "transport", "auto", "nio"),
                intIn(values, "legacy-threads", 1, 4096),
                intIn(values, "max-sleep-ms", 0, 3_600_000),
                intIn(values, "max-fanout", 1, 1_000_000),
                intIn(values, "max-jobs", 1, 1_000_000),
                intIn(values, "max-request-bytes", 1, 64 << 20),
                intIn(values, "max-connections", 1, 1_000_000),
                Duration.ofMillis(intIn(values, "idle-timeout-ms", 1, 3_600_000)),
                Duration.ofMillis(intIn(values, "request-timeout-ms", 1, 3_600_000)),
                bool(values, "debug-remote"),
                Duration.ofMillis(intIn(values, "grace-ms", 0, 600_000)),
                Duration.ofMillis(intIn(values, "blocked-threshold-ms", 0, 3_600_000)),
                healthcheck);
    }

    private static int intIn(Map<String, String> values, String name, int min, int max) {
        String v = values.get(name);
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--" + name + " must be an integer in [" + min + ", " + max + "], got '"
                + v + "'");
    }

    private static String oneOf(Map<String, String> values, String name, String... allowed) {
        String v = values.get(name).trim().toLowerCase(Locale.ROOT);
        if (!java.util.List.of(allowed).contains(v)) {
            throw new IllegalArgumentException("--" + name + " must be one of " + String.join(", ", allowed) + ", got '"
                    + v + "'");
        }
        return v;
    }

    private static boolean bool(Map<String, String> values, String name) {
        String v = values.get(name).trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException("--" + name + " must be true or false, got '" + v + "'");
        };
    }

    /** Every option on a line of its own, flag, variable and description each in an aligned column. */
    static String help() {
        int flagWidth = HEALTHCHECK.length();
        for (String name : OPTIONS.keySet()) {
            flagWidth = Math.max(flagWidth, name.length());
        }
        int envWidth = flagWidth + "LOOPBRIDGE_".length();
        String row = "  --%-" + flagWidth + "s  %-" + envWidth + "s  %s%n";
        StringBuilder sb = new StringBuilder("loopbridge demo server\n\nOptions (flag, or environment variable):\n");
        OPTIONS.forEach((name, spec) -> sb.append(String.format(row, name,
                "LOOPBRIDGE_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), spec[1] + " (default " + spec[0] + ")")));
        sb.append("\nMode:\n").append(String.format(row, HEALTHCHECK, "", HEALTHCHECK_HELP));
        return sb.toString();
    }
}
