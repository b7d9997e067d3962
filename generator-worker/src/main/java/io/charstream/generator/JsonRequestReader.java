package io.charstream.generator;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.model.SamplingOptions;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.GenerateRequest;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Reads generate requests with the contract's strict JSON codec, then applies this worker's limits
 * (prompt length, max length, stop strings, sampling ranges). Every problem becomes a rejection
 * that names the field and says how to fix it; the requestId to answer to comes from the JSON when
 * it can be read there, else from the record key (the contract keys requests by requestId).
 */
final class JsonRequestReader implements RequestReader {

  /** Longest accepted stop string, in chars. */
  static final int STOP_MAX_CHARS = 64;

  /** The configured limits. */
  /**
   * @param nMax most samples per request (n.max, at most batch.capacity: every sample needs a slot)
   */
  record Limits(int promptMaxChars, int lengthMax, int stopMax, String defaultModelId, int nMax) {

    /** One sample per request at most. */
    Limits(int promptMaxChars, int lengthMax, int stopMax, String defaultModelId) {
      this(promptMaxChars, lengthMax, stopMax, defaultModelId, 1);
    }
  }

  private final Limits limits;

  JsonRequestReader(Limits limits) {
    this.limits = limits;
  }

  @Override
  public Read read(String key, byte[] value) {
    if (value == null && validId(key) != null) {
      return new Cancel(key);
    }
    if (value == null || value.length == 0) {
      return new Rejected(
          validId(key),
          ErrorKind.MALFORMED_JSON,
          "empty record: the value must be a JSON generate request, e.g. {\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"KING\"}");
    }
    GenerateRequest req;
    try {
      req = Json.read(value, GenerateRequest.class);
    } catch (MessageFormatException e) {
      String id = requestIdIn(value);
      return new Rejected(id != null ? id : validId(key), kindOf(e), e.getMessage());
    }
    return validate(req);
  }

  private Read validate(GenerateRequest req) {
    String id = req.requestId();
    int promptChars = req.prompt().codePointCount(0, req.prompt().length());
    if (promptChars == 0) {
      return new Rejected(
          id,
          ErrorKind.EMPTY_PROMPT,
          "field 'prompt': must not be empty: give the seed text to continue");
    }
    if (promptChars > limits.promptMaxChars()) {
      return new Rejected(
          id,
          ErrorKind.PROMPT_TOO_LONG,
          "field 'prompt': "
              + promptChars
              + " characters is more than this generator accepts ("
              + limits.promptMaxChars()
              + "): shorten the prompt");
    }
    // The contract fills an absent length with 1024, the reference's default.
    int length = req.length();
    if (length > limits.lengthMax()) {
      return new Rejected(
          id,
          ErrorKind.LENGTH_OUT_OF_RANGE,
          "field 'length': " + length + " is out of range: use 1.." + limits.lengthMax());
    }
    if (req.stop().size() > limits.stopMax()) {
      return new Rejected(
          id,
          ErrorKind.INVALID_OPTION,
          "field 'stop': "
              + req.stop().size()
              + " stop strings, at most "
              + limits.stopMax()
              + " are accepted");
    }
    for (int i = 0; i < req.stop().size(); i++) {
      if (req.stop().get(i).length() > STOP_MAX_CHARS) {
        return new Rejected(
            id,
            ErrorKind.INVALID_OPTION,
            "field 'stop[" + i + "]': longer than " + STOP_MAX_CHARS + " characters");
      }
    }
    int n = req.n() == null ? 1 : req.n();
    if (n > limits.nMax()) {
      return new Rejected(
          id,
          ErrorKind.INVALID_OPTION,
          "field 'n': "
              + n
              + " samples is more than this generator gives (n.max and batch.capacity): use 1.."
              + limits.nMax());
    }
    SamplingOptions sampling;
    try {
      long seed = req.randomSeed() != null ? req.randomSeed() : seedOf(id);
      sampling = new SamplingOptions(req.topN(), req.temperature(), seed);
    } catch (IllegalArgumentException e) {
      return new Rejected(id, ErrorKind.INVALID_OPTION, e.getMessage());
    }
    String modelId = req.modelId() != null ? req.modelId() : limits.defaultModelId();
    return new Accepted(
        new RequestSpec(
            id,
            req.prompt(),
            length,
            sampling,
            modelId,
            req.modelVersion(),
            req.stop(),
            req.stream(),
            req.timeoutMs(),
            req.priority(),
            n,
            req.logprobs() == null ? 0 : req.logprobs()));
  }

  /**
   * The seed of a request that gave none: derived from its requestId, so a request replayed after a
   * crash generates the same text again.
   */
  static long seedOf(String requestId) {
    return UUID.nameUUIDFromBytes(requestId.getBytes(StandardCharsets.UTF_8))
        .getMostSignificantBits();
  }

  private static ErrorKind kindOf(MessageFormatException e) {
    if (e.kind() == MessageFormatException.Kind.NOT_JSON) {
      return ErrorKind.MALFORMED_JSON;
    }
    if (!causedByInvalidValue(e)) {
      return ErrorKind
          .INVALID_FIELD; // unknown field, wrong JSON type: the shape is wrong, not a value
    }
    String field = e.field() == null ? "" : e.field();
    return switch (field) {
      case "length" -> ErrorKind.LENGTH_OUT_OF_RANGE;
      case "topN", "temperature", "randomSeed", "timeoutMs", "n", "logprobs" ->
          ErrorKind.INVALID_OPTION;
      default -> field.startsWith("stop") ? ErrorKind.INVALID_OPTION : ErrorKind.INVALID_FIELD;
    };
  }

  /** True when a record constructor refused a value (not a wrong JSON type or an unknown field). */
  private static boolean causedByInvalidValue(Throwable e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof InvalidFieldException) {
        return true;
      }
    }
    return false;
  }

  /** The requestId of a record that failed the contract, when it is there and well-formed. */
  private static String requestIdIn(byte[] value) {
    try {
      JsonNode node = Json.readTree(value);
      JsonNode id = node == null ? null : node.get("requestId");
      return id != null && id.isTextual() ? validId(id.asText()) : null;
    } catch (RuntimeException e) {
      return null; // not JSON at all: the key is all there is
    }
  }

  private static String validId(String s) {
    return s != null && Checks.ID.matcher(s).matches() ? s : null;
  }
}
