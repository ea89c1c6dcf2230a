package io.loopbridge.benchmarks.http;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * The HTTP harness's Vert.x peer (benchmarks/run-http.sh): a verticle deployed with
 * {@link ThreadingModel#VIRTUAL_THREAD}, so each request's handler runs on a virtual thread, which does
 * {@code Future.await(vertx.timer(ms))} and then answers {@code GET /sleep?ms=N} with 200 {@code {"slept_ms":N}}.
 * {@code --loops} event loops (default 2) and {@code --instances} verticle instances (default 2), all sharing the
 * port (Vert.x spreads the connections over the instances).
 *
 * <pre>java -cp ... io.loopbridge.benchmarks.http.VertxVirtualThreadServer --port 8080 --loops 2 --instances 2</pre>
 */
public final class VertxVirtualThreadServer extends VerticleBase {
    private final int port;

    private VertxVirtualThreadServer(int port) {
        this.port = port;
    }

    public static void main(String[] args) {
        int port = ServerArgs.intArg(args, "--port", 8080);
        int loops = ServerArgs.intArg(args, "--loops", 2);
        int instances = ServerArgs.intArg(args, "--instances", 2);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        vertx.deployVerticle(
                        () -> new VertxVirtualThreadServer(port),
                        new DeploymentOptions()
                                .setThreadingModel(ThreadingModel.VIRTUAL_THREAD)
                                .setInstances(instances))
                .toCompletionStage()
                .toCompletableFuture()
                .join();
        System.out.println("vertx (virtual-thread verticle) listening on http://127.0.0.1:" + port + " with "
                + loops + " event loops, " + instances + " instances");
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(this::handle)
                .listen();
    }

    /** Runs on a virtual thread: the await parks it, and the verticle goes on with other requests. */
    private void handle(HttpServerRequest req) {
        if (!req.method().equals(HttpMethod.GET) || !req.path().equals("/sleep")) {
            req.response().setStatusCode(404).putHeader("content-type", "application/json").end("{\"error\":\"not found\"}");
            return;
        }
        int ms = ServerArgs.sleepMs(req.query());
        if (ms < 0) {
            req.response()
                    .setStatusCode(400)
                    .putHeader("content-type", "application/json")
                    .end("{\"error\":\"ms must be in [0, 60000]\"}");
            return;
        }
        if (ms > 0) {
            Future.await(vertx.timer(ms));
        }
        req.response().putHeader("content-type", "application/json").end(ServerArgs.body(ms));
    }
}
