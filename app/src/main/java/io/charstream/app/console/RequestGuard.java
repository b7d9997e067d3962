package io.charstream.app.console;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;

/**
 * Who may use the server. With a token (required beyond loopback), every request but the page's
 * static files and the probes carries it, as {@code Authorization: Bearer TOKEN} or as the cookie
 * the page sets after asking for it once ({@code SameSite=Strict}, so another site's page cannot
 * ride on it). Without a token the server is loopback-only, and two browser attacks on local
 * servers are refused: a {@code Host} that is not a loopback name (DNS rebinding: another site's
 * name pointed at 127.0.0.1) and an {@code Origin} other than the server's own (a page elsewhere
 * posting to 127.0.0.1; curl and other non-browser clients send no Origin).
 */
final class RequestGuard {
  static final String COOKIE = "charstream_token";

  /** Paths that hold no data: the page must load to ask for the token; probes carry none. */
  private static final Set<String> OPEN =
      Set.of("/", "/index.html", "/console.js", "/console.css", "/livez", "/readyz");

  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

  private final byte[] token;

  /**
   * @param token the configured token, or null when the server is loopback-only without one
   */
  RequestGuard(String token) {
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /** Null when the request may proceed, else the refusal (401 or 403). */
  ApiException check(String path, Headers headers) {
    String host = headers.getFirst("Host");
    if (token == null && (host == null || !LOOPBACK_NAMES.contains(hostName(host)))) {
      return new ApiException(
          403,
          "forbidden-host",
          null,
          "Host '"
              + host
              + "' is not a loopback name: without "
              + ConsoleConfig.AUTH_TOKEN
              + " the server answers only http://127.0.0.1 and http://localhost");
    }
    String origin = headers.getFirst("Origin");
    if (origin != null
        && !origin.equalsIgnoreCase("http://" + host)
        && !origin.equalsIgnoreCase("https://" + host)) {
      return new ApiException(
          403, "forbidden-origin", null, "cross-origin request from " + origin + " refused");
    }
    if (token == null || OPEN.contains(path) || presented(headers)) return null;
    return new ApiException(
        401,
        "unauthorized",
        null,
        "missing or wrong bearer token: send 'Authorization: Bearer TOKEN' ("
            + ConsoleConfig.AUTH_TOKEN
            + ")");
  }

  private boolean presented(Headers headers) {
    String auth = headers.getFirst("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      if (matches(auth.substring(7).trim())) return true;
    }
    for (String cookies : headers.getOrDefault("Cookie", java.util.List.of())) {
      for (String c : cookies.split(";")) {
        String[] kv = c.trim().split("=", 2);
        if (kv.length == 2 && kv[0].equals(COOKIE) && matches(cookieValue(kv[1]))) return true;
      }
    }
    return false;
  }

  /** The page stores the token URL-encoded (encodeURIComponent). */
  private static String cookieValue(String raw) {
    try {
      return java.net.URLDecoder.decode(raw.trim(), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private boolean matches(String presented) {
    // Constant time: how long a comparison takes says nothing about the token.
    return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }

  /** "localhost:8080" -> "localhost", "[::1]:8080" -> "[::1]". */
  static String hostName(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }
}
