package io.charstream.app.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 for network-fault tests, between Kafka clients and a broker listener:
 * both sides stay up while the network between them misbehaves. {@link #cut} is a partition:
 * nothing is forwarded in either direction (bytes wait in the sockets, as in the kernel during a
 * real outage, and new connections are accepted but get nothing), {@link #heal} lets everything
 * flow again without losing a byte; {@link #resetAll} resets every open connection (RST); {@link
 * #latencyMs} delays every chunk forwarded. A proxy's threads are daemons and {@link #close} stops
 * them all.
 */
public final class FaultProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private volatile boolean cut;
  private volatile boolean closed;
  private volatile long latencyMs;
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();

  /** Listens on {@code listenPort} (0 = any free one) and forwards to 127.0.0.1:{@code target}. */
  public FaultProxy(int listenPort, int targetPort) throws IOException {
    this.targetPort = targetPort;
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
    Thread t = new Thread(this::acceptLoop, "fault-proxy-accept-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  public long connections() {
    return connections.get();
  }

  /** Stops forwarding in both directions, on open and new connections, until {@link #heal}. */
  public void cut() {
    cut = true;
  }

  /** Forwards again; what waited is delivered in order. */
  public void heal() {
    synchronized (gate) {
      cut = false;
      gate.notifyAll();
    }
  }

  public void latencyMs(long ms) {
    latencyMs = ms;
  }

  /** Resets every open connection (RST to both ends); new ones are accepted as before. */
  public void resetAll() {
    for (Socket s : List.copyOf(sockets)) reset(s);
  }

  /** Resets one open connection chosen at random; false when none is open. */
  public boolean resetRandom(java.util.Random random) {
    List<Socket> open = List.copyOf(sockets);
    if (open.isEmpty()) return false;
    reset(open.get(random.nextInt(open.size())));
    resets.incrementAndGet();
    return true;
  }

  /** Connections reset by {@link #resetRandom}. */
  public long resets() {
    return resets.get();
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0); // close() sends RST instead of FIN
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        connections.incrementAndGet();
        Socket broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        client.setTcpNoDelay(true);
        broker.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(broker);
        pump(client, broker, "up");
        pump(broker, client, "down");
      } catch (IOException e) {
        if (closed) return;
      }
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                while (!closed) {
                  awaitOpen();
                  int n = in.read(buf);
                  if (n < 0) break;
                  long delay = latencyMs;
                  if (delay > 0) Thread.sleep(delay);
                  awaitOpen(); // a cut while this chunk was read holds it back too
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // a reset, a close or the end of the test
              } finally {
                sockets.remove(from);
                sockets.remove(to);
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "fault-proxy-" + direction + "-" + from.getPort());
    t.setDaemon(true);
    t.start();
  }

  private void awaitOpen() throws InterruptedException {
    synchronized (gate) {
      while (cut && !closed) gate.wait();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    heal();
    closeQuietly2(server);
    for (Socket s : List.copyOf(sockets)) closeQuietly(s);
  }

  private static void closeQuietly2(ServerSocket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
