package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the server refuses, answered in OpenAI's error shape: {@code {"error": {"message",
 * "type", "param", "code"}}} with an HTTP status. {@code code} is machine-readable: the generator's
 * error kind ({@code unknown-model}, {@code prompt-too-long}, ...) or the server's own ({@code
 * malformed-json}, {@code invalid-field}, {@code body-too-large}, ...); {@code param} names the
 * body field at fault, when one is.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final String param;

  public ApiException(int status, String code, String param, String message) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }

  /** 400: the body is wrong; {@code param} names the field. */
  public static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid-field", param, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String param() {
    return param;
  }

  /** OpenAI's error type for this status. */
  public String type() {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  /** The {@code {"error": {...}}} object. */
  public ObjectNode body() {
    ObjectNode root = HttpIo.JSON.createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", getMessage());
    e.put("type", type());
    if (param == null) e.putNull("param");
    else e.put("param", param);
    e.put("code", code);
    return root;
  }
}
