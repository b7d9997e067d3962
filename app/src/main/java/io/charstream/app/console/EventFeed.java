package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/events}: the console's state as Server-Sent Events: a {@code snapshot}, then
 * {@code job}, {@code model}, {@code corpus}, {@code served} and {@code caughtUp} events as the
 * topics change. Each feed has its own bounded queue, written by its own request thread, so a slow
 * browser never holds up the topic reader or the other feeds; a feed that falls {@value #QUEUE}
 * events behind is closed, and the browser's EventSource reconnects and starts from a fresh
 * snapshot.
 */
final class EventFeed {
  static final int QUEUE = 1000;

  /** A comment line now and then: finds closed connections and keeps proxies from timing out. */
  static final Duration KEEPALIVE = Duration.ofSeconds(15);

  private static final byte[] CLOSE = new byte[0];

  private final ConsoleState state;
  private final Semaphore slots;
  private final Set<BlockingQueue<byte[]>> open = ConcurrentHashMap.newKeySet();

  EventFeed(ConsoleState state, int maxStreams) {
    this.state = state;
    this.slots = new Semaphore(maxStreams);
  }

  void handle(HttpExchange ex) throws IOException {
    if (!slots.tryAcquire()) {
      throw new ApiException(
          503,
          "too-many-streams",
          null,
          "too many open event feeds (" + ConsoleConfig.MAX_STREAMS + "); close a console tab");
    }
    BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
    ConsoleState.Sink sink =
        (event, data) -> {
          if (queue.offer(frame(event, data))) return true;
          queue.clear(); // fell behind: end this feed, the browser reconnects
          queue.offer(CLOSE);
          return false;
        };
    open.add(queue);
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      HttpIo.noStore(ex.getResponseHeaders());
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      state.subscribe(sink);
      while (true) {
        byte[] next = queue.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
        if (next == CLOSE) break;
        out.write(next == null ? ": keepalive\n\n".getBytes(StandardCharsets.UTF_8) : next);
        out.flush();
      }
    } catch (IOException e) {
      // the browser went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      state.unsubscribe(sink);
      open.remove(queue);
      slots.release();
    }
  }

  /** Ends every open feed (the server is stopping). */
  void closeAll() {
    for (BlockingQueue<byte[]> q : open) {
      q.clear();
      q.offer(CLOSE);
    }
  }

  /** One SSE event; JSON has no raw line breaks, so one data line. */
  static byte[] frame(String event, ObjectNode data) {
    return ("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
  }
}
