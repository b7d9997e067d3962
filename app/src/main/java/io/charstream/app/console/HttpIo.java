package io.charstream.app.console;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.charstream.schemas.json.Utf8;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;

/** Reading bounded bodies and writing JSON on the JDK's HTTP server, the same way everywhere. */
final class HttpIo {
  /**
   * Writes responses (records without their null fields; a tree's explicit nulls stay); reads
   * bodies strictly (duplicate keys and trailing garbage are errors).
   */
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static final String JSON_TYPE = "application/json; charset=utf-8";

  private HttpIo() {}

  /** The body, at most {@code max} bytes; a longer one is a 413 (nothing past max+1 is read). */
  static byte[] body(HttpExchange ex, int max) throws IOException {
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > max) throw tooLarge(max);
      } catch (NumberFormatException e) {
        throw new ApiException(400, "bad-request", null, "Content-Length is not a number");
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readNBytes(max + 1);
      if (bytes.length > max) throw tooLarge(max);
      return bytes;
    }
  }

  private static ApiException tooLarge(int max) {
    return new ApiException(
        413,
        "body-too-large",
        null,
        "request body over " + max + " bytes (" + ConsoleConfig.MAX_BODY_BYTES + ")");
  }

  /** The body as a JSON object; anything else is a 400 {@code malformed-json}. */
  static JsonNode object(byte[] body) {
    if (body.length == 0) {
      throw new ApiException(400, "malformed-json", null, "empty body: expected a JSON object");
    }
    String text;
    try {
      text = Utf8.decode(body);
    } catch (CharacterCodingException e) {
      throw new ApiException(400, "malformed-json", null, "body is not valid UTF-8");
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ApiException(
          400, "malformed-json", null, "body is not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new ApiException(
          400,
          "malformed-json",
          null,
          "expected a JSON object, got "
              + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
    }
    return node;
  }

  static void json(HttpExchange ex, int status, Object value) throws IOException {
    send(ex, status, JSON_TYPE, JSON.writeValueAsBytes(value));
  }

  static void error(HttpExchange ex, ApiException e) throws IOException {
    json(ex, e.status(), e.body());
  }

  /** A whole response; the exchange is closed afterwards. HEAD gets the headers only. */
  static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    try (ex) {
      Headers h = ex.getResponseHeaders();
      h.set("Content-Type", type);
      noStore(h);
      boolean head = "HEAD".equals(ex.getRequestMethod());
      ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
      if (!head && body.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** Headers of every answer: nothing cached, nothing sniffed, never framed by another site. */
  static void noStore(Headers h) {
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
  }
}
