package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import org.junit.jupiter.api.Test;

/** Who may use the server: loopback names and own origin without a token, the token with one. */
class RequestGuardTest {
  static final String TOKEN = "0123456789abcdef-token";

  static Headers headers(String... nameValue) {
    Headers h = new Headers();
    for (int i = 0; i < nameValue.length; i += 2) h.add(nameValue[i], nameValue[i + 1]);
    return h;
  }

  @Test
  void withoutATokenOnlyLoopbackHostNamesAreAnswered() {
    RequestGuard g = new RequestGuard(null);
    for (String host : new String[] {"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:80"}) {
      assertThat(g.check("/api/state", headers("Host", host))).as(host).isNull();
    }
    // DNS rebinding: another site's name resolved to 127.0.0.1.
    ApiException e = g.check("/api/state", headers("Host", "evil.example:8080"));
    assertThat(e.status()).isEqualTo(403);
    assertThat(e.code()).isEqualTo("forbidden-host");
    assertThat(g.check("/", headers("Host", "localhost.evil.example"))).isNotNull();
    assertThat(g.check("/", headers())).isNotNull();
  }

  @Test
  void browsersOnOtherOriginsAreRefusedAndTheOwnOriginIsNot() {
    RequestGuard g = new RequestGuard(null);
    assertThat(
            g.check(
                "/v1/completions",
                headers("Host", "127.0.0.1:8080", "Origin", "http://127.0.0.1:8080")))
        .isNull();
    ApiException e =
        g.check(
            "/v1/completions", headers("Host", "127.0.0.1:8080", "Origin", "https://evil.example"));
    assertThat(e.status()).isEqualTo(403);
    assertThat(e.code()).isEqualTo("forbidden-origin");
    assertThat(g.check("/api/events", headers("Host", "127.0.0.1:8080", "Origin", "null")))
        .isNotNull();
    assertThat(g.check("/", headers("Host", "127.0.0.1:8080", "Origin", "http://127.0.0.1:9999")))
        .isNotNull();
  }

  @Test
  void withATokenEveryDataPathNeedsItAsBearerOrCookie() {
    RequestGuard g = new RequestGuard(TOKEN);
    Headers none = headers("Host", "10.0.0.5:8080");
    ApiException e = g.check("/v1/completions", none);
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.type()).isEqualTo("authentication_error");
    assertThat(e.getMessage()).doesNotContain(TOKEN);
    assertThat(g.check("/v1/completions", headers("Host", "h", "Authorization", "Bearer " + TOKEN)))
        .isNull();
    assertThat(g.check("/api/state", headers("Host", "h", "Authorization", "bearer " + TOKEN)))
        .isNull();
    assertThat(
            g.check("/api/state", headers("Host", "h", "Authorization", "Bearer " + TOKEN + "x")))
        .isNotNull();
    assertThat(g.check("/api/state", headers("Host", "h", "Authorization", "Basic " + TOKEN)))
        .isNotNull();
    assertThat(
            g.check(
                "/api/events",
                headers(
                    "Host", "h", "Cookie", "a=b; " + RequestGuard.COOKIE + "=" + TOKEN + "; c=d")))
        .isNull();
    assertThat(
            g.check(
                "/api/events",
                headers(
                    "Host", "h", "Cookie", RequestGuard.COOKIE + "=" + TOKEN.replace('-', '%'))))
        .isNotNull();
    assertThat(g.check("/metrics", none)).isNotNull();
    // Any host name once a token guards the server (it may listen on a public address).
    assertThat(
            g.check(
                "/api/state",
                headers("Host", "console.example:443", "Authorization", "Bearer " + TOKEN)))
        .isNull();
  }

  @Test
  void thePageAndTheProbesLoadWithoutTheToken() {
    RequestGuard g = new RequestGuard(TOKEN);
    for (String open :
        new String[] {"/", "/index.html", "/console.js", "/console.css", "/livez", "/readyz"}) {
      assertThat(g.check(open, headers("Host", "h"))).as(open).isNull();
    }
    assertThat(g.check("/v1/models", headers("Host", "h"))).isNotNull();
  }

  @Test
  void cookieTokensAreUrlDecodedAsThePageEncodesThem() {
    RequestGuard g = new RequestGuard("token with spaces+plus/slash");
    assertThat(
            g.check(
                "/api/state",
                headers(
                    "Host",
                    "h",
                    "Cookie",
                    RequestGuard.COOKIE + "=token%20with%20spaces%2Bplus%2Fslash")))
        .isNull();
  }

  @Test
  void hostNamesLoseTheirPort() {
    assertThat(RequestGuard.hostName("localhost:8080")).isEqualTo("localhost");
    assertThat(RequestGuard.hostName("[::1]:8080")).isEqualTo("[::1]");
    assertThat(RequestGuard.hostName("127.0.0.1")).isEqualTo("127.0.0.1");
  }
}
