package io.charstream.app.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real browser for the console's tests: Debian's headless {@code chromium}, driven over the
 * Chrome DevTools Protocol with the JDK's own WebSocket client (no WebDriver, no extra library). It
 * opens one page, evaluates JavaScript in it, and takes screenshots. When chromium is not installed
 * it fails, saying how to install it; it never skips.
 */
public final class Chromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

  private Chromium(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  /**
   * The browser: {@code $CHROMIUM}, else on the PATH Debian's {@code chromium-headless-shell} (the
   * same engine without the desktop parts, about half the packages to install), else {@code
   * chromium}.
   */
  static String binary() {
    String configured = System.getenv("CHROMIUM");
    if (configured != null && !configured.isBlank()) return configured;
    for (String name : List.of("chromium-headless-shell", "chromium", "chromium-browser")) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        if (Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toString();
      }
    }
    throw new IllegalStateException(
        "no chromium on the PATH: the browser tests need Debian's headless chromium"
            + " (apt-get install --no-install-recommends chromium-headless-shell; .ci/run installs"
            + " it), or CHROMIUM=/path/to/chrome");
  }

  /**
   * Starts headless chromium (the headless shell ignores {@code --headless}) with a fresh profile
   * in {@code profileDir} and a window of the given size, and attaches to its page.
   */
  public static Chromium launch(Path profileDir, int width, int height) throws Exception {
    Files.createDirectories(profileDir);
    Path log = profileDir.resolve("chromium.log");
    Process p =
        new ProcessBuilder(
                binary(),
                "--headless",
                "--no-sandbox", // tests run as root in CI containers
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profileDir,
                "--window-size=" + width + "," + height,
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      // Chromium writes the port it picked to DevToolsActivePort in the profile.
      Path portFile = profileDir.resolve("DevToolsActivePort");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
        if (!p.isAlive()) {
          throw new IllegalStateException(
              "chromium exited (status " + p.exitValue() + "): " + Files.readString(log));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "chromium did not start within 60 s: " + Files.readString(log));
        }
        TimeUnit.MILLISECONDS.sleep(50); // polling a file another process writes
      }
      int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
      HttpClient http = HttpClient.newHttpClient();
      JsonNode targets =
          JSON.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      String ws = null;
      for (JsonNode t : targets) {
        if ("page".equals(t.path("type").asText())) ws = t.path("webSocketDebuggerUrl").asText();
      }
      if (ws == null) throw new IllegalStateException("chromium has no page target: " + targets);
      Listener listener = new Listener();
      WebSocket socket =
          http.newWebSocketBuilder().buildAsync(URI.create(ws), listener).get(30, TimeUnit.SECONDS);
      Chromium c = new Chromium(p, socket);
      listener.owner = c;
      c.call("Page.enable", JSON.createObjectNode());
      c.call("Runtime.enable", JSON.createObjectNode());
      return c;
    } catch (Exception e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw e;
    }
  }

  /** Sends one DevTools command and returns its result; a protocol error is an exception. */
  public JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    calls.put(id, f);
    ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
    msg.set("params", params);
    socket.sendText(msg.toString(), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    JsonNode reply = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (reply.has("error")) throw new IllegalStateException(method + ": " + reply.get("error"));
    return reply.path("result");
  }

  /** Opens {@code url} in the page and waits until it has loaded (its scripts have run). */
  public void navigate(String url) throws Exception {
    JsonNode r = call("Page.navigate", JSON.createObjectNode().put("url", url));
    if (r.hasNonNull("errorText")) {
      throw new IllegalStateException("cannot open " + url + ": " + r.get("errorText").asText());
    }
    long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
    while (!eval("location.href === "
            + JSON.writeValueAsString(url)
            + " && document.readyState === 'complete'")
        .asBoolean()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(url + " did not load");
      TimeUnit.MILLISECONDS.sleep(50); // polling the page's load state
    }
  }

  /**
   * Evaluates a JavaScript expression in the page (promises awaited) and returns its value as JSON;
   * a thrown exception is an exception here.
   */
  public JsonNode eval(String expression) throws Exception {
    JsonNode r =
        call(
            "Runtime.evaluate",
            JSON.createObjectNode()
                .put("expression", expression)
                .put("returnByValue", true)
                .put("awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException(
          "page script failed: " + r.get("exceptionDetails").toString() + " in: " + expression);
    }
    return r.path("result").path("value");
  }

  /** A PNG of the whole page, written to {@code file}. */
  public void screenshot(Path file) throws Exception {
    JsonNode r =
        call(
            "Page.captureScreenshot",
            JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
  }

  @Override
  public void close() throws IOException {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the browser is being killed anyway
    }
    // Debian's launcher is a shell script that runs the browser as its child, and the browser has
    // children of its own: stop the whole tree, not just the script.
    List<ProcessHandle> tree =
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of(process.toHandle()), process.descendants())
            .toList();
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (ProcessHandle p : tree) {
      try {
        p.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
  }

  /** Reassembles fragmented text frames and completes the pending calls by id. */
  private static final class Listener implements WebSocket.Listener {
    private final StringBuilder buffer = new StringBuilder();
    volatile Chromium owner;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      buffer.append(data);
      if (last) {
        String text = buffer.toString();
        buffer.setLength(0);
        try {
          JsonNode msg = JSON.readTree(text);
          if (msg.has("id") && owner != null) {
            CompletableFuture<JsonNode> f = owner.calls.remove(msg.get("id").asInt());
            if (f != null) f.complete(msg);
          }
        } catch (IOException e) {
          throw new IllegalStateException("unreadable DevTools message", e);
        }
      }
      ws.request(1);
      return null;
    }
  }
}
