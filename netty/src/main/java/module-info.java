/**
 * I/O on loopbridge's loops: a loop built with {@code io(NettyIo.nio())} drives a Netty 4.2
 * {@code ManualIoEventLoop} from its own thread, so a channel's reads, its coroutines and its writes run on one
 * thread, as in asyncio. {@link io.loopbridge.netty.NettyIo} is the entry point: the loop's Netty event loop,
 * a pool as an {@code IoEventLoopGroup}, and Netty futures as loop futures.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Netty's jars are automatic modules
module io.loopbridge.netty {
    requires transitive io.loopbridge.bridge;
    requires transitive io.netty.transport;
    requires transitive io.netty.common;
    requires transitive io.netty.buffer;
    requires transitive io.netty.handler;
    requires org.slf4j;

    exports io.loopbridge.netty;
}
