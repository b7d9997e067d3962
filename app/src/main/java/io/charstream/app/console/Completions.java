package io.charstream.app.console;

import com.sun.net.httpserver.HttpExchange;
import io.charstream.app.client.PromptClient;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code POST /v1/completions}: an OpenAI-style body becomes one generate request on {@code
 * charstream.generate-requests} (through {@link PromptClient}, which reads the answer from the
 * shared {@code generate-responses}: the contract has no per-client reply topic). Without {@code
 * stream} the answer is one JSON object; with it, Server-Sent Events {@code data: {...}} per chunk,
 * a last one with the finish reason, then {@code data: [DONE]}. The HTTP status waits for the first
 * record of the answer, so a request the generator refuses gets its 4xx even when streamed.
 */
final class Completions {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

  private final PromptClient client;
  private final Duration timeout;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final Consumer<GenerateResponse> answered;
  private final Clock clock;

  /**
   * @param answered sees every final answer (the console notes which version served it)
   */
  Completions(
      PromptClient client,
      Duration timeout,
      int maxInFlight,
      Consumer<GenerateResponse> answered,
      Clock clock) {
    this.client = client;
    this.timeout = timeout;
    this.inFlight = new Semaphore(maxInFlight);
    this.maxInFlight = maxInFlight;
    this.answered = answered;
    this.clock = clock;
  }

  void handle(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
    CompletionRequest req = CompletionRequest.parse(HttpIo.object(body));
    String id = "cmpl-" + UUID.randomUUID();
    GenerateRequest request = req.toGenerateRequest(id);
    if (!inFlight.tryAcquire()) {
      throw new ApiException(
          429,
          "too-many-requests",
          null,
          maxInFlight + " completions are already waiting (" + ConsoleConfig.MAX_IN_FLIGHT + ")");
    }
    try {
      long created = clock.millis() / 1000;
      BlockingQueue<Object> answer = new LinkedBlockingQueue<>();
      CompletableFuture<GenerateResponse> fin = client.submit(request, answer::add);
      fin.whenComplete((r, e) -> answer.add(r != null ? r : e));
      long deadline = System.nanoTime() + timeout.toNanos();
      Object first = next(answer, deadline);
      if (first instanceof GenerateResponse r && r.type() == GenerateResponse.Type.FINAL) {
        answered(r, req);
        if (r.finishReason() == GenerateResponse.FinishReason.ERROR) {
          throw CompletionJson.error(r);
        }
        if (!req.stream()) {
          HttpIo.json(ex, 200, CompletionJson.completion(id, created, req.prompt(), r));
          return;
        }
      } else if (!(first instanceof GenerateResponse)) {
        client.forget(id);
        throw failure(first);
      }
      stream(ex, id, created, req, first, answer, deadline);
    } finally {
      inFlight.release();
    }
  }

  /** Writes the answer as SSE, starting with {@code first} (a chunk, or the final record). */
  private void stream(
      HttpExchange ex,
      String id,
      long created,
      CompletionRequest req,
      Object first,
      BlockingQueue<Object> answer,
      long deadline)
      throws IOException, InterruptedException {
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      HttpIo.noStore(ex.getResponseHeaders());
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      StringBuilder streamed = new StringBuilder();
      Object item = first;
      while (true) {
        if (item instanceof GenerateResponse r && r.type() == GenerateResponse.Type.CHUNK) {
          streamed.append(r.text());
          event(out, CompletionJson.chunk(id, created, r, r.text()));
        } else if (item instanceof GenerateResponse r) {
          if (item != first) answered(r, req);
          if (r.finishReason() == GenerateResponse.FinishReason.ERROR) {
            event(out, CompletionJson.error(r).body());
          } else {
            // The final record holds the whole text: send what the chunks did not.
            String rest =
                r.text().startsWith(streamed.toString())
                    ? r.text().substring(streamed.length())
                    : "";
            event(out, CompletionJson.chunk(id, created, r, rest));
          }
          break;
        } else {
          client.forget(id);
          event(out, failure(item).body());
          break;
        }
        item = next(answer, deadline);
      }
      out.write(DONE);
      out.flush();
    } catch (IOException e) {
      client.forget(id); // the client went away; the generator still finishes the request
    }
  }

  private static void event(OutputStream out, Object json) throws IOException {
    out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** The next record, the send failure, or null when the deadline passed. */
  private static Object next(BlockingQueue<Object> answer, long deadline)
      throws InterruptedException {
    return answer.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private ApiException failure(Object item) {
    if (item == null) {
      return new ApiException(
          504,
          "timeout",
          null,
          "no answer within "
              + timeout.toSeconds()
              + " s ("
              + ConsoleConfig.REQUEST_TIMEOUT_MS
              + "): is a generator running on these topics, and does the model exist?");
    }
    Throwable t = (Throwable) item;
    return new ApiException(
        503, "kafka-unavailable", null, "could not reach Kafka: " + t.getMessage());
  }

  private void answered(GenerateResponse r, CompletionRequest req) {
    if (req.modelVersion() == null) answered.accept(r);
  }
}
