package io.charstream.app.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A test's reader of a Server-Sent Events stream ({@code event:} / {@code data:} lines, a blank
 * line ends an event), on a thread of its own, as an EventSource or an OpenAI client reads it.
 */
final class SseFeed implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One event: its name ("message" when it has none) and its data line. */
  record Event(String name, String data) {
    JsonNode json() {
      try {
        return JSON.readTree(data);
      } catch (Exception e) {
        throw new AssertionError("event data is not JSON: " + data, e);
      }
    }
  }

  final HttpResponse<Stream<String>> response;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  SseFeed(HttpClient http, HttpRequest request) throws Exception {
    response = http.send(request, HttpResponse.BodyHandlers.ofLines());
    reader =
        new Thread(
            () -> {
              String name = "message";
              StringBuilder data = new StringBuilder();
              try (Stream<String> lines = response.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                  if (line.isEmpty()) {
                    if (data.length() > 0) events.add(new Event(name, data.toString()));
                    name = "message";
                    data.setLength(0);
                  } else if (line.startsWith("event: ")) {
                    name = line.substring(7);
                  } else if (line.startsWith("data: ")) {
                    if (data.length() > 0) data.append('\n');
                    data.append(line.substring(6));
                  }
                }
              } catch (RuntimeException e) {
                // closed by the test, or by the server
              }
              events.add(new Event("(end)", ""));
            },
            "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static SseFeed get(HttpClient http, URI uri) throws Exception {
    return new SseFeed(http, HttpRequest.newBuilder(uri).GET().build());
  }

  /** The next event, waiting up to {@code timeout}; fails when none came. */
  Event next(Duration timeout) throws InterruptedException {
    Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (e == null) throw new AssertionError("no event within " + timeout.toSeconds() + " s");
    return e;
  }

  /** Events until (and with) the first that matches, waiting up to {@code timeout} in all. */
  List<Event> until(Duration timeout, String what, Predicate<Event> match)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Event> seen = new ArrayList<>();
    while (true) {
      Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError(
            "no " + what + " within " + timeout.toSeconds() + " s; saw " + names(seen));
      }
      seen.add(e);
      if (match.test(e)) return seen;
      if (e.name().equals("(end)")) throw new AssertionError("the stream ended before " + what);
    }
  }

  private static List<String> names(List<Event> events) {
    return events.stream().map(Event::name).toList();
  }

  @Override
  public void close() {
    response.body().close();
    reader.interrupt();
  }
}
