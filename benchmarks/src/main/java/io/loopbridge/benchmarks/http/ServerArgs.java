package io.loopbridge.benchmarks.http;

/** The side-by-side peers' few flags: {@code --port N --loops N [--instances N]}, each with a default. */
public final class ServerArgs {
    private ServerArgs() {}

    public static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name) && i + 1 < args.length) {
                return Integer.parseInt(args[i + 1]);
            }
            if (args[i].startsWith(name + "=")) {
                return Integer.parseInt(args[i].substring(name.length() + 1));
            }
        }
        return fallback;
    }

    /**
     * The {@code ms} of a {@code /sleep?ms=N} query string (the part after {@code ?}, or null): N in [0, 60000],
     * or -1 when it is missing or not such a number.
     */
    static int sleepMs(String query) {
        if (query == null) {
            return -1;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("ms=")) {
                try {
                    int ms = Integer.parseInt(pair.substring(3));
                    return ms >= 0 && ms <= 60_000 ? ms : -1;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    static String body(int ms) {
        return "{\"slept_ms\":" + ms + "}";
    }
}
