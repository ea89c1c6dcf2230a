/**
 * loopbridge's event loop and everything that runs on it: futures, tasks, coroutines, combinators and
 * synchronisation primitives. Start with {@link io.loopbridge.core.Aio} and {@link io.loopbridge.core.EventLoop}.
 *
 * <p>The fast coroutine engine schedules virtual threads on the loop itself, which needs
 * {@code --add-opens java.base/java.lang=io.loopbridge.core} on the module path (on the class path:
 * {@code =ALL-UNNAMED}); without it the fallback engine runs.
 */
module io.loopbridge.core {
    requires java.management;
    requires jdk.management;
    requires org.slf4j;
    requires org.jctools.core;

    exports io.loopbridge.core;
    exports io.loopbridge.core.sync;
    exports io.loopbridge.core.spi to io.loopbridge.bridge, io.loopbridge.metrics, io.loopbridge.netty;
}
