package io.loopbridge.demo;

import io.loopbridge.bridge.Bridge;
import io.loopbridge.bridge.LoopPool;
import io.loopbridge.core.Aio;
import io.loopbridge.core.Coroutine;
import io.loopbridge.core.EventLoop;
import io.loopbridge.core.Task;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The demo's endpoints. Each request becomes an {@link Answer}: a response at once (health, metrics, errors),
 * or a coroutine that the connection's handler starts on the connection's own loop. Nothing here blocks a loop
 * except /debug/block, on purpose; blocking work runs on the legacy pool.
 */
final class Endpoints {
    private final DemoConfig config;
    private final LoopPool pool;
    private final ExecutorService legacy;
    private final PrometheusMeterRegistry registry;

    /** What the handler does with a request. */
    sealed interface Answer {
        /** Answer at once, in the handler. */
        record Now(Response response) implements Answer {
        }

        /** Start this coroutine on the connection's loop; its result is the response. */
        record Later(Coroutine<Response> coroutine) implements Answer {
        }
    }

    Endpoints(DemoConfig config, LoopPool pool, ExecutorService legacy, PrometheusMeterRegistry registry) {
        this.config = config;
        this.pool = pool;
        this.legacy = legacy;
        this.registry = registry;
    }

    /** The answer to one request; bad input throws {@link HttpException}. */
    Answer handle(HttpMethod method, String uri, InetAddress client) {
        QueryStringDecoder q = new QueryStringDecoder(uri);
        String path = q.path();
        return switch (path) {
            case "/sleep" -> {
                requireMethod(method, HttpMethod.GET);
                yield sleep(param(q, "ms", 0, config.maxSleepMs()));
            }
            case "/fanout" -> {
                requireMethod(method, HttpMethod.GET);
                yield fanout(param(q, "n", 1, config.maxFanout()), param(q, "ms", 0, config.maxSleepMs()));
            }
            case "/legacy" -> {
                requireMethod(method, HttpMethod.POST);
                yield legacy(param(q, "jobs", 1, config.maxJobs()), param(q, "ms", 0, config.maxSleepMs()));
            }
            case "/metrics" -> {
                requireMethod(method, HttpMethod.GET);
                yield new Answer.Now(new Response(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                        registry.scrape()));
            }
            case "/debug/tasks" -> {
                requireMethod(method, HttpMethod.GET);
                requireDebugClient(path, client);
                yield new Answer.Later(this::debugTasks);
            }
            case "/debug/block" -> {
                requireMethod(method, HttpMethod.POST);
                requireDebugClient(path, client);
                yield debugBlock(param(q, "ms", 0, config.maxSleepMs()));
            }
            case "/healthz" -> {
                requireMethod(method, HttpMethod.GET);
                yield new Answer.Now(health());
            }
            default -> throw HttpException.of(HttpResponseStatus.NOT_FOUND, "no such path: " + path);
        };
    }

    /** A coroutine awaits a sleep on the connection's loop: thousands of these are held by a few threads. */
    private static Answer sleep(int ms) {
        long t0 = System.nanoTime();
        return new Answer.Later(() -> {
            Aio.sleep(Duration.ofMillis(ms));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("slept_ms", ms);
            body.put("loop", Aio.getRunningLoop().name());
            body.put("task", Aio.currentTask().getName());
            body.put("elapsed_ms", elapsedMs(t0));
            return Response.json(body);
        });
    }

    /** A coroutine gathers n children that each sleep ms: the total stays near ms, not n × ms. */
    private static Answer fanout(int n, int ms) {
        long t0 = System.nanoTime();
        return new Answer.Later(() -> {
            List<Coroutine<Long>> children = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                children.add(() -> {
                    long c0 = System.nanoTime();
                    Aio.sleep(Duration.ofMillis(ms));
                    return System.nanoTime() - c0;
                });
            }
            List<Long> took = Aio.<Long>gather(children).await();
            long max = took.stream().mapToLong(Long::longValue).max().orElse(0);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("children", n);
            body.put("child_ms", ms);
            body.put("slowest_child_ms", TimeUnit.NANOSECONDS.toMillis(max));
            body.put("elapsed_ms", elapsedMs(t0));
            body.put("loop", Aio.getRunningLoop().name());
            return Response.json(body);
        });
    }

    /**
     * The legacy pattern, and the one request that crosses threads on purpose: blocking workers of an ordinary
     * thread pool each submit a coroutine to a pool loop with runCoroutineThreadsafe and block on the
     * CompletableFuture. The request's own coroutine awaits them all without blocking its loop.
     */
    private Answer legacy(int jobs, int ms) {
        long t0 = System.nanoTime();
        return new Answer.Later(() -> {
            List<CompletableFuture<String>> results = new ArrayList<>(jobs);
            for (int i = 0; i < jobs; i++) {
                EventLoop loop = pool.next();
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        // A legacy worker: blocks its own thread, never the loop's.
                        return Bridge.runCoroutineThreadsafe(() -> {
                            Aio.sleep(Duration.ofMillis(ms));
                            return Aio.getRunningLoop().name();
                        }, loop).get();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, legacy));
            }
            Bridge.wrapFuture(CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))).await();
            Map<String, Integer> perLoop = new LinkedHashMap<>();
            for (CompletableFuture<String> r : results) {
                perLoop.merge(r.join(), 1, Integer::sum);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("jobs", jobs);
            body.put("job_ms", ms);
            body.put("legacy_threads", config.legacyThreads());
            body.put("jobs_per_loop", perLoop);
            body.put("elapsed_ms", elapsedMs(t0));
            return Response.json(body);
        });
    }

    /**
     * Every pending task of every loop, like aiomonitor: asked of each loop on its own thread. The request's own
     * task is left out.
     */
    private Response debugTasks() throws Exception {
        Task<?> self = Aio.currentTask();
        List<CompletableFuture<Map<String, Object>>> perLoop = new ArrayList<>();
        for (EventLoop loop : pool.loops()) {
            perLoop.add(Bridge.callSoonThreadsafe(loop, () -> {
                List<Object> tasks = new ArrayList<>();
                long now = loop.time();
                for (Task<?> t : loop.allTasks()) {
                    if (t == self) {
                        continue;
                    }
                    Map<String, Object> info = new LinkedHashMap<>();
                    info.put("name", t.getName());
                    info.put("state", t.toString());
                    info.put("age_ms", TimeUnit.NANOSECONDS.toMillis(now - t.createdAt()));
                    List<String> stack = new ArrayList<>();
                    for (StackTraceElement e : t.getStack()) {
                        stack.add(e.toString());
                    }
                    info.put("stack", stack);
                    tasks.add(info);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("loop", loop.name());
                m.put("tasks", tasks);
                return m;
            }));
        }
        Bridge.wrapFuture(CompletableFuture.allOf(perLoop.toArray(CompletableFuture[]::new))).await();
        return Response.json(Map.of("loops", perLoop.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * A demonstration of the pool's blocked-loop watchdog, and what the watchdog is there to catch: the
     * request's coroutine busy-waits for {@code ms} on the loop its connection lives on (the mistake of blocking
     * a loop, made on purpose; that loop's other connections wait meanwhile). While it spins past
     * {@code --blocked-threshold-ms}, the log shows its stack and {@code /healthz} (asked on a connection of
     * another loop) answers 503 naming the loop. A POST, for loopback clients only, like {@code /debug/tasks}.
     */
    private static Answer debugBlock(int ms) {
        return new Answer.Later(() -> {
            EventLoop loop = Aio.getRunningLoop();
            long t0 = System.nanoTime();
            long nanos = TimeUnit.MILLISECONDS.toNanos(ms);
            while (System.nanoTime() - t0 < nanos) {
                Thread.onSpinWait(); // deliberately blocking the loop: see the method's comment
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("blocked_loop", loop.name());
            body.put("blocked_ms", ms);
            body.put("reported_blocked", loop.stats().blockedEpisodes());
            return Response.json(body);
        });
    }

    /** 503 while a loop is not running, or is blocked by one callback (the pool's watchdog says which). */
    private Response health() {
        List<String> down = new ArrayList<>();
        List<Map<String, Object>> blocked = new ArrayList<>();
        List<EventLoop> loops = pool.loops();
        for (EventLoop loop : loops) {
            if (!loop.isRunning()) {
                down.add(loop.name());
            } else if (loop.stats().isBlocked()) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("loop", loop.name());
                b.put("blocked_ms", TimeUnit.NANOSECONDS.toMillis(loop.stats().blockedNanos()));
                blocked.add(b);
            }
        }
        boolean ok = down.isEmpty() && blocked.isEmpty();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "unhealthy");
        body.put("loops", loops.size());
        body.put("down", down);
        body.put("blocked", blocked);
        return Response.json(ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private void requireDebugClient(String path, InetAddress client) {
        if (!config.debugRemote() && !client.isLoopbackAddress()) {
            throw HttpException.of(HttpResponseStatus.FORBIDDEN,
                    path + " is served to loopback clients only (flag --debug-remote)");
        }
    }

    /** A GET endpoint also answers HEAD (the codec sends the headers of the GET answer and no body). */
    private static void requireMethod(HttpMethod actual, HttpMethod allowed) {
        boolean head = actual.equals(HttpMethod.HEAD) && allowed.equals(HttpMethod.GET);
        if (!actual.equals(allowed) && !head) {
            String methods = allowed.equals(HttpMethod.GET) ? "GET or HEAD" : allowed.name();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", "method " + actual + " not allowed; use " + methods);
            body.put("allowed", methods);
            throw new HttpException(HttpResponseStatus.METHOD_NOT_ALLOWED, body);
        }
    }

    private static int param(QueryStringDecoder q, String name, int min, int max) {
        List<String> values = q.parameters().get(name);
        if (values != null && values.size() > 1) {
            throw HttpException.of(HttpResponseStatus.BAD_REQUEST,
                    "parameter '" + name + "' given " + values.size() + " times; give it once");
        }
        String v = values == null || values.isEmpty() ? null : values.getFirst();
        if (v != null) {
            try {
                long n = Long.parseLong(v.trim());
                if (n >= min && n <= max) {
                    return (int) n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw HttpException.badParameter(name, v, min, max);
    }

    private static long elapsedMs(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
