package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.message.GenerateResponse;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's completion objects made from the generator's responses: the whole answer, a streamed
 * chunk, and the error a failed answer becomes.
 */
final class CompletionJson {
  /** The generator's error kinds that are the request's fault (400). */
  private static final Set<String> BAD_REQUEST =
      Set.of(
          "malformed-json",
          "invalid-field",
          "invalid-request",
          "empty-prompt",
          "prompt-too-long",
          "unknown-characters",
          "length-out-of-range",
          "invalid-option");

  private CompletionJson() {}

  /** The answering model as {@code /v1/completions} names it: {@code id@version}. */
  static String model(GenerateResponse r) {
    if (r.modelId() == null) return null;
    return r.modelVersion() == null ? r.modelId() : r.modelId() + "@" + r.modelVersion();
  }

  /** {@code {id, object, created, model, choices: [{index, text, finish_reason}], usage}}. */
  static ObjectNode completion(String id, long created, String prompt, GenerateResponse fin) {
    ObjectNode c = head(id, created, fin);
    choice(c, fin.text(), finishReason(fin));
    ObjectNode usage = c.putObject("usage");
    int p = prompt.codePointCount(0, prompt.length());
    int t = fin.text().codePointCount(0, fin.text().length());
    usage.put("prompt_tokens", p);
    usage.put("completion_tokens", t);
    usage.put("total_tokens", p + t);
    return c;
  }

  /** One streamed event: a chunk's text, or (with a finish reason) the end of the answer. */
  static ObjectNode chunk(String id, long created, GenerateResponse r, String text) {
    ObjectNode c = head(id, created, r);
    choice(c, text, r.type() == GenerateResponse.Type.FINAL ? finishReason(r) : null);
    return c;
  }

  /**
   * The HTTP error a failed answer becomes, the generator's error kind as its code; the field its
   * message names ("field 'length': ...") is renamed as this API calls it and becomes the param.
   */
  static ApiException error(GenerateResponse fin) {
    String kind = fin.error().kind();
    int status = kind.equals("unknown-model") ? 404 : BAD_REQUEST.contains(kind) ? 400 : 500;
    String message = fin.error().message();
    String param = null;
    Matcher m = FIELD.matcher(message);
    if (m.find()) {
      param = CompletionRequest.openAiName(m.group(1));
      message = message.replace("field '" + m.group(1) + "'", "field '" + param + "'");
    } else if (kind.equals("unknown-model")) {
      param = "model";
    } else if (kind.equals("empty-prompt") || kind.equals("unknown-characters")) {
      param = "prompt";
    }
    return new ApiException(status, kind, param, message);
  }

  private static final Pattern FIELD = Pattern.compile("^field '([^']+)'");

  private static ObjectNode head(String id, long created, GenerateResponse r) {
    ObjectNode c = HttpIo.JSON.createObjectNode();
    c.put("id", id);
    c.put("object", "text_completion");
    c.put("created", created);
    c.put("model", model(r));
    return c;
  }

  private static void choice(ObjectNode c, String text, String finishReason) {
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    choice.put("text", text);
    choice.putNull("logprobs");
    if (finishReason == null) choice.putNull("finish_reason");
    else choice.put("finish_reason", finishReason);
  }

  private static String finishReason(GenerateResponse fin) {
    return fin.finishReason().name().toLowerCase(Locale.ROOT); // length | stop
  }
}
