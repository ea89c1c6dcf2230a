package io.loopbridge.netty;

import static io.loopbridge.netty.StreamsTest.b;
import static io.loopbridge.netty.StreamsTest.port;
import static io.loopbridge.netty.StreamsTest.s;
import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.bridge.LoopPool;
import io.loopbridge.testing.Waits;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Streams} over TLS with a self-signed certificate for 127.0.0.1 and localhost (made by Netty's
 * {@code netty-pkitesting}). The CPython 3.11 behaviour each test mirrors is above it (the certificate from
 * {@code openssl req -x509 ... -addext subjectAltName=DNS:localhost,IP:127.0.0.1}).
 */
@ExtendWith(NoLeaks.class)
class StreamsTlsTest {
    private static X509Bundle certificate;
    private static SslContext serverContext;
    private static SslContext trustingClient;

    @BeforeAll
    static void certificate() throws Exception {
        certificate = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost")
                .addSanIpAddress("127.0.0.1").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        serverContext = SslContextBuilder.forServer(certificate.toKeyManagerFactory()).build();
        trustingClient = SslContextBuilder.forClient().trustManager(certificate.toTrustManagerFactory()).build();
    }

    /*
     * sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); sctx.load_cert_chain('cert.pem', 'key.pem')
     * async def echo(r, w): data = await r.readline(); w.write(data); await w.drain(); w.close()
     * srv = await start_server(echo, '127.0.0.1', 0, ssl=sctx)
     * r, w = await open_connection(host, port, ssl=ssl.create_default_context(cafile='cert.pem'))
     * w.write(b'over tls\n'); await r.readline() -> b'over tls\n'
 * w.get_extra_info('peercert') -> the server's certificate ({'subject': ((('commonName', 'localhost'),),), ...});
 * w.get_extra_info('cipher') -> ('TLS_AES_256_GCM_SHA384', 'TLSv1.3', 256); await r.read() -> b''
     */
    @Test
    void anEchoOverTlsAnswersAClientThatTrustsTheServersCertificate() throws Exception {
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            try (Server server = Streams.startServer((r, w) -> {
                byte[] data = r.readLine();
                w.write(data);
                w.drain();
                w.close();
            }, "127.0.0.1", 0, serverContext)) {
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server), trustingClient);
                c.writer().write(b("over tls\n"));
                out.add(s(c.reader().readLine()));
                Object[] peer = (Object[]) c.writer().getExtraInfo("peercert");
                out.add("peer's certificate: " + (peer != null && peer[0].equals(certificate.getCertificate())));
                out.add("cipher: " + (c.writer().getExtraInfo("cipher") != null));
                out.add(s(c.reader().read()));
                c.writer().close();
                c.writer().waitClosed();
            }
            return out;
        });
        assertThat(seen).containsExactly("over tls\n", "peer's certificate: true", "cipher: true", "");
    }

    /*
     * await open_connection(host, port, ssl=ssl.create_default_context())  # the system's CAs only
     * -> SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate
     * then a trusting client: w.write(b'still serving\n'); await r.readline() -> b'still serving\n'
     */
    @Test
    void aClientThatDoesNotTrustTheCertificateGetsAHandshakeExceptionAndTheServerGoesOn() throws Exception {
        SslContext systemTrust = SslContextBuilder.forClient().build();
        List<Object> seen = IoLoops.run(() -> {
            List<Object> out = new ArrayList<>();
            try (Server server = Streams.startServer(StreamsTest.ECHO_LINES, "127.0.0.1", 0, serverContext)) {
                try {
                    Streams.openConnection("127.0.0.1", port(server), systemTrust);
                    out.add("connected");
                } catch (SSLHandshakeException e) {
                    out.add("SSLHandshakeException");
                    out.add(e.getMessage().contains("PKIX path building failed") ? "PKIX path building failed"
                            : e.getMessage());
                }
                IoLoops.until(() -> server.connectionCount() == 0);
                out.add("connections: " + server.connectionCount());
                Streams.Connection c = Streams.openConnection("127.0.0.1", port(server), trustingClient);
                c.writer().write(b("still serving\n"));
                out.add(s(c.reader().readLine()));
                c.writer().close();
                c.writer().waitClosed();
            }
            return out;
        });
        assertThat(seen).containsExactly("SSLHandshakeException", "PKIX path building failed", "connections: 0",
                "still serving\n");
    }

    /*
     * async def cb(r, w):
     *     try: 10000 x (w.write(bytes(64 * 1024)); await w.drain())
     *     except Exception as e: print('drain:', repr(e))
     *     try: await r.read(100)
     *     except Exception as e: print('read:', repr(e))
     * a client (a thread, blocking sockets) connects, does not read, and resets (SO_LINGER 0, close):
     * plain -> drain: ConnectionResetError(104, 'Connection reset by peer') read: ConnectionResetError(104, ...)
     * TLS (ssl=sctx; the client wraps its socket) -> the same: the reset is the error, not the end of the stream
     */
    @Test
    void aPeerThatResetsWhileTheServerWritesFailsItsDrainAndItsReadOverTlsAsWithout() throws Exception {
        SSLContext jdkClient = SSLContext.getInstance("TLS");
        jdkClient.init(null, certificate.toTrustManagerFactory().getTrustManagers(), null);
        List<String> seen = new ArrayList<>();
        try (LoopPool pool = LoopPool.builder().name("reset-tls").loops(1).loopDefaults(b -> b.io(NettyIo.nio())).build()) {
            for (boolean tls : new boolean[] {false, true}) {
                CompletableFuture<StreamWriter> writing = new CompletableFuture<>();
                AtomicBoolean inDrain = new AtomicBoolean();
                CompletableFuture<String> outcome = new CompletableFuture<>();
                try (Server server = Streams.startServer((r, w) -> {
                    writing.complete(w);
                    String drained;
                    try {
                        for (int i = 0; i < 10_000; i++) {
                            w.write(new byte[64 * 1024]);
                            inDrain.set(true);
                            w.drain();
                            inDrain.set(false);
                        }
                        drained = "drained all";
                    } catch (IOException e) {
                        drained = "drain: " + (e.getMessage().equals("Connection lost") ? "Connection lost" : "IOException");
                    }
                    String read;
                    try {
                        read = "read: '" + s(r.read(100)) + "'";
                    } catch (IOException e) {
                        read = "read: IOException";
                    }
                    outcome.complete(drained + ", " + read);
                }, pool, "127.0.0.1", 0, tls ? serverContext : null)) {
                    Socket raw = new Socket("127.0.0.1", port(server));
                    if (tls) {
                        ((SSLSocket) jdkClient.getSocketFactory().createSocket(raw, "127.0.0.1", port(server), false))
                                .startHandshake();
                    }
                    StreamWriter w = Waits.get(writing, "reset-tls");
                    Waits.awaitTrue(() -> inDrain.get() && !w.channel().isWritable(), "the server suspended in drain");
                    raw.setSoLinger(true, 0);
                    raw.close();
                    seen.add((tls ? "TLS " : "plain ") + Waits.get(outcome, "reset-tls"));
                    Waits.awaitTrue(() -> server.connectionCount() == 0, "the connection closed");
                }
            }
        }
        assertThat(seen).containsExactly("plain drain: IOException, read: IOException", "TLS drain: IOException, read: IOException");
    }
}
