package dev.tideline.apply.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder in front of a NATS server, so a test can cut one client's network without touching the
 * server or the other clients: {@link #cut()} closes the listener and every piped socket at once, and
 * later connection attempts are refused. The client sees what a crashed host or a network partition looks
 * like from its side: no goodbye, no chance to release anything.
 */
final class TcpForwarder implements AutoCloseable {

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    /** Starts listening on a free loopback port, forwarding to the host and port of {@code natsUrl}. */
    TcpForwarder(String natsUrl) throws IOException {
        URI target = URI.create(natsUrl);
        this.targetHost = target.getHost();
        this.targetPort = target.getPort();
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon("forwarder-accept", this::accept).start();
    }

    /** The URL clients use to reach NATS through this forwarder. */
    String url() {
        return "nats://127.0.0.1:" + listener.getLocalPort();
    }

    /** Closes the listener and every forwarded connection; nothing goes through any more. */
    void cut() {
        cut = true;
        closeQuietly(listener);
        sockets.forEach(TcpForwarder::closeQuietly);
    }

    @Override
    public void close() {
        cut();
    }

    private void accept() {
        while (!cut) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // cut
            }
            sockets.add(client);
            try {
                Socket server = new Socket(targetHost, targetPort);
                sockets.add(server);
                daemon("forwarder-up", () -> pipe(client, server)).start();
                daemon("forwarder-down", () -> pipe(server, client)).start();
            } catch (IOException e) {
                closeQuietly(client);
            }
            if (cut) { // cut while this pair was being set up: cut() may have missed it
                sockets.forEach(TcpForwarder::closeQuietly);
            }
        }
    }

    /** Copies bytes until either side ends, then closes both (a half-open pair would hide the cut). */
    private void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed or was cut
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
