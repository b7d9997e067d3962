package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import java.util.List;

/**
 * A generation result, on {@code charstream.generate-responses} keyed by requestId. Every request
 * gets exactly one {@code final} record; with {@code stream} it is preceded by {@code chunk}
 * records numbered 0, 1, 2, ... ({@code sequence}), and the final record's sequence is one past the
 * last chunk.
 *
 * @param text a chunk's characters, or in the final record the whole generated text (empty on
 *     error)
 * @param finishReason final records only: why generation ended
 * @param timings final records only (absent when the request failed before it was queued)
 * @param error final records with finishReason error only
 * @param choices final records of requests with n > 1 only: every sample, in order ({@code text}
 *     and {@code finishReason} are the first one's)
 * @param logprobs final records of requests with logprobs > 0 only: per character of {@code text},
 *     its log-probability and the most probable alternatives
 */
public record GenerateResponse(
    int schemaVersion,
    String requestId,
    Type type,
    int sequence,
    String text,
    String modelId,
    Long modelVersion,
    FinishReason finishReason,
    Timings timings,
    Error error,
    List<Choice> choices,
    List<CharLogprob> logprobs) {
  public static final int SCHEMA_VERSION = 1;

  /** A streamed piece, or the record that closes the request. */
  public enum Type {
    @JsonProperty("chunk")
    CHUNK,
    @JsonProperty("final")
    FINAL
  }

  /** Why generation ended. */
  public enum FinishReason {
    /** The requested number of characters was generated. */
    @JsonProperty("length")
    LENGTH,
    /** A stop string was generated. */
    @JsonProperty("stop")
    STOP,
    /** The request failed; see {@code error}. */
    @JsonProperty("error")
    ERROR,
    /**
     * A tombstone (the request's key, null value) on the requests topic cancelled it; the text is
     * what was generated until then.
     */
    @JsonProperty("cancelled")
    CANCELLED,
    /** The request's {@code timeoutMs} passed while it ran; the text is what was generated. */
    @JsonProperty("deadline")
    DEADLINE
  }

  /**
   * One sample of a request with n > 1.
   *
   * @param index 0..n-1; sample i was drawn with the request's randomSeed + i
   * @param logprobs as the response's, for this sample (null unless logprobs > 0)
   */
  public record Choice(
      int index, String text, FinishReason finishReason, List<CharLogprob> logprobs) {
    public Choice {
      Checks.atLeast(index, 0, "choices.index");
      Checks.required(text, "choices.text");
      Checks.required(finishReason, "choices.finishReason");
    }
  }

  /**
   * A generated character and its log-probability under the model (natural log of the softmax of
   * the raw logits, before temperature and top-n).
   *
   * @param text the character
   * @param top the most probable characters at that position, most probable first
   */
  public record CharLogprob(String text, double logprob, List<Alternative> top) {
    public CharLogprob {
      Checks.required(text, "logprobs.text");
      top = top == null ? List.of() : List.copyOf(top);
    }
  }

  /** A character the model could have generated there, with its log-probability. */
  public record Alternative(String text, double logprob) {
    public Alternative {
      Checks.required(text, "logprobs.top.text");
    }
  }

  public GenerateResponse {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.required(requestId, "requestId");
    Checks.required(type, "type");
    Checks.atLeast(sequence, 0, "sequence");
    Checks.required(text, "text");
    Checks.optionalId(modelId, "modelId");
    if (type == Type.CHUNK && (finishReason != null || error != null || timings != null)) {
      throw new InvalidFieldException("type", "a chunk carries no finishReason, timings or error");
    }
    if (type == Type.FINAL) Checks.required(finishReason, "finishReason");
    if (type == Type.CHUNK && (choices != null || logprobs != null)) {
      throw new InvalidFieldException("type", "a chunk carries no choices or logprobs");
    }
    choices = choices == null ? null : List.copyOf(choices);
    logprobs = logprobs == null ? null : List.copyOf(logprobs);
    if ((finishReason == FinishReason.ERROR) != (error != null)) {
      throw new InvalidFieldException(
          "error", "is required exactly when finishReason is \"error\"");
    }
  }

  /**
   * Times of one request, in milliseconds.
   *
   * @param queueWaitMs from the request's record timestamp until generation started
   * @param timeToFirstCharMs from the record timestamp until the first character was generated
   * @param totalMs from the record timestamp until the final response was produced
   * @param charsPerSecond generated characters per second of generation time
   */
  public record Timings(
      double queueWaitMs, Double timeToFirstCharMs, double totalMs, double charsPerSecond) {}

  /**
   * What went wrong.
   *
   * @param kind machine-readable class, e.g. invalid-request, unknown-model, prompt-too-long,
   *     unknown-characters, internal
   * @param message what was wrong and how to fix it
   */
  public record Error(String kind, String message) {
    public Error {
      Checks.required(kind, "error.kind");
      Checks.required(message, "error.message");
    }
  }

  public static GenerateResponse chunk(
      String requestId, int sequence, String text, String modelId, long modelVersion) {
    return new GenerateResponse(
        SCHEMA_VERSION,
        requestId,
        Type.CHUNK,
        sequence,
        text,
        modelId,
        modelVersion,
        null,
        null,
        null,
        null,
        null);
  }

  public static GenerateResponse done(
      String requestId,
      int sequence,
      String text,
      String modelId,
      long modelVersion,
      FinishReason reason,
      Timings timings) {
    return new GenerateResponse(
        SCHEMA_VERSION,
        requestId,
        Type.FINAL,
        sequence,
        text,
        modelId,
        modelVersion,
        reason,
        timings,
        null,
        null,
        null);
  }

  public static GenerateResponse failed(
      String requestId,
      int sequence,
      String modelId,
      Long modelVersion,
      String kind,
      String message,
      Timings timings) {
    return new GenerateResponse(
        SCHEMA_VERSION,
        requestId,
        Type.FINAL,
        sequence,
        "",
        modelId,
        modelVersion,
        FinishReason.ERROR,
        timings,
        new Error(kind, message),
        null,
        null);
  }
}
