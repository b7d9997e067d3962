package io.charstream.app.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.message.GenerateRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The body of {@code POST /v1/completions}, OpenAI's fields checked one by one (each error names
 * its field), and the generate request it maps to. Lengths are in characters: a character is this
 * model's token.
 *
 * @param modelId null = the generators' default model
 * @param modelVersion null = the latest version
 * @param maxTokens characters to generate; null = the contract's default (1024)
 * @param temperature null = 1.0; 0 = greedy (top-1), as OpenAI's 0 means
 * @param topK null = 3, the reference's sampling
 */
record CompletionRequest(
    String prompt,
    String modelId,
    Long modelVersion,
    Integer maxTokens,
    Double temperature,
    Integer topK,
    Long seed,
    List<String> stop,
    boolean stream) {

  static final Set<String> FIELDS =
      Set.of("model", "prompt", "max_tokens", "temperature", "top_k", "seed", "stop", "stream");

  /**
   * OpenAI fields that some clients always send: accepted only with the value that changes nothing,
   * so a client that really asks for them is told it cannot have them.
   */
  private static final Map<String, String> NEUTRAL =
      Map.of(
          "n", "1",
          "best_of", "1",
          "top_p", "1",
          "presence_penalty", "0",
          "frequency_penalty", "0",
          "echo", "false",
          "logprobs", "null",
          "suffix", "null",
          "user", "any string (ignored)");

  /** Checks every field; the first problem is a 400 naming it. */
  static CompletionRequest parse(JsonNode body) {
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (FIELDS.contains(f)) continue;
      if (NEUTRAL.containsKey(f)) {
        if (!neutral(f, body.get(f))) {
          throw ApiException.invalid(
              f, f + " is not supported: only " + NEUTRAL.get(f) + " is accepted");
        }
        continue;
      }
      throw ApiException.invalid(
          f, "unknown field '" + f + "' (supported: " + new TreeSet<>(FIELDS) + ")");
    }
    JsonNode prompt = body.get("prompt");
    if (prompt == null || prompt.isNull())
      throw ApiException.invalid("prompt", "prompt is required");
    if (!prompt.isTextual()) {
      throw ApiException.invalid(
          "prompt", "prompt must be one string (lists of prompts and token ids are not supported)");
    }
    String model = text(body, "model");
    String modelId = null;
    Long modelVersion = null;
    if (model != null) {
      int at = model.lastIndexOf('@');
      modelId = at < 0 ? model : model.substring(0, at);
      if (at >= 0) {
        try {
          modelVersion = Long.parseLong(model.substring(at + 1));
        } catch (NumberFormatException e) {
          modelVersion = 0L;
        }
        if (modelVersion < 1) {
          throw ApiException.invalid(
              "model", "model '" + model + "': after '@' comes a version number >= 1");
        }
      }
      if (!Checks.ID.matcher(modelId).matches()) {
        throw ApiException.invalid(
            "model",
            "model must be ID or ID@VERSION, ID of 1-128 characters of A-Z a-z 0-9 . _ : -");
      }
    }
    Integer maxTokens = integer(body, "max_tokens", 1);
    Integer topK = integer(body, "top_k", 1);
    Double temperature = null;
    JsonNode t = body.get("temperature");
    if (t != null && !t.isNull()) {
      if (!t.isNumber() || !Double.isFinite(t.asDouble()) || t.asDouble() < 0) {
        throw ApiException.invalid("temperature", "temperature must be a number >= 0, got " + t);
      }
      temperature = t.asDouble();
    }
    Long seed = null;
    JsonNode s = body.get("seed");
    if (s != null && !s.isNull()) {
      if (!s.isIntegralNumber() || !s.canConvertToLong()) {
        throw ApiException.invalid("seed", "seed must be an integer, got " + s);
      }
      seed = s.asLong();
    }
    JsonNode st = body.get("stream");
    if (st != null && !st.isNull() && !st.isBoolean()) {
      throw ApiException.invalid("stream", "stream must be true or false, got " + st);
    }
    return new CompletionRequest(
        prompt.asText(),
        modelId,
        modelVersion,
        maxTokens,
        temperature,
        topK,
        seed,
        stop(body.get("stop")),
        st != null && st.asBoolean());
  }

  /** The generate request of this body; the contract's own checks are named by OpenAI field. */
  GenerateRequest toGenerateRequest(String requestId) {
    boolean greedy = temperature != null && temperature == 0.0;
    try {
      return GenerateRequest.builder(requestId, prompt)
          .length(maxTokens)
          .topN(greedy ? Integer.valueOf(1) : topK)
          .temperature(greedy ? null : temperature)
          .randomSeed(seed)
          .model(modelId, modelVersion)
          .stop(stop)
          .stream(stream)
          .build();
    } catch (InvalidFieldException e) {
      String field = openAiName(e.field());
      throw ApiException.invalid(
          field, e.getMessage().replace("field '" + e.field() + "'", "field '" + field + "'"));
    }
  }

  /** The contract's field name as this API calls it. */
  static String openAiName(String field) {
    if (field == null) return null;
    return switch (field) {
      case "length" -> "max_tokens";
      case "topN" -> "top_k";
      case "randomSeed" -> "seed";
      case "modelId", "modelVersion" -> "model";
      default -> field; // prompt, temperature, stop[i]
    };
  }

  private static boolean neutral(String field, JsonNode v) {
    return switch (field) {
      case "n", "best_of", "top_p" -> v.isNumber() && v.asDouble() == 1.0;
      case "presence_penalty", "frequency_penalty" -> v.isNumber() && v.asDouble() == 0.0;
      case "echo" -> v.isBoolean() && !v.asBoolean();
      case "user" -> v.isTextual();
      default -> v.isNull(); // logprobs, suffix
    };
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return null;
    if (!v.isTextual()) throw ApiException.invalid(field, field + " must be a string, got " + v);
    return v.asText();
  }

  private static Integer integer(JsonNode body, String field, int min) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return null;
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min) {
      throw ApiException.invalid(field, field + " must be an integer >= " + min + ", got " + v);
    }
    return v.asInt();
  }

  /** A string, or a list of strings, or null. */
  private static List<String> stop(JsonNode v) {
    if (v == null || v.isNull()) return null;
    if (v.isTextual()) return List.of(v.asText());
    if (!v.isArray()) {
      throw ApiException.invalid("stop", "stop must be a string or a list of strings, got " + v);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual()) {
        throw ApiException.invalid(
            "stop[" + i + "]", "stop strings must be strings, got " + v.get(i));
      }
      out.add(v.get(i).asText());
    }
    return out;
  }
}
