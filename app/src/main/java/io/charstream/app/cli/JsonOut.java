package io.charstream.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** The one-line JSON object a measuring command prints. */
public final class JsonOut {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonOut() {}

  public static String line(Map<String, Object> values) {
    try {
      return MAPPER.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
