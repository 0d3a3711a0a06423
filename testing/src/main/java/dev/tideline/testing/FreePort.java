package dev.tideline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks a TCP port on 127.0.0.1 that nothing listens on right now. */
final class FreePort {

    private FreePort() {
    }

    /**
     * A free port. There is a window between closing the probe socket and the server binding the
     * port; servers that fail to bind report it in their log, and tests are rerunnable.
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free TCP port on 127.0.0.1", e);
        }
    }
}
