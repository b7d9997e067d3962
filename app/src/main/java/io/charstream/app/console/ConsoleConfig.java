package io.charstream.app.console;

import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The console's settings (web page, {@code /v1/completions}, event feeds), each declared once with
 * type, default, validator and doc; settable as {@code CHARSTREAM_CONSOLE_<KEY>} from the
 * environment. Checked together at start-up: a server bound beyond loopback needs a token.
 *
 * @param port the HTTP port; 0 = any free one, -1 = no server
 * @param bindAddress where the server listens
 * @param authToken the bearer token every request must carry, or null for none
 * @param maxBodyBytes largest request body read; larger ones get 413
 * @param requestTimeout how long a completion waits for its answer
 * @param maxInFlight completions waiting for answers at once; more get 429
 * @param maxStreams open event feeds (browser tabs) at once; more get 503
 */
public record ConsoleConfig(
    Topics topics,
    int port,
    InetAddress bindAddress,
    String authToken,
    int maxBodyBytes,
    Duration requestTimeout,
    int maxInFlight,
    int maxStreams,
    EnvConfig source) {

  public static final String HTTP_PORT = "console.http-port";
  public static final String BIND_ADDRESS = "console.bind-address";
  public static final String AUTH_TOKEN = "console.auth-token";
  public static final String MAX_BODY_BYTES = "console.max-body-bytes";
  public static final String REQUEST_TIMEOUT_MS = "console.request-timeout-ms";
  public static final String MAX_IN_FLIGHT = "console.max-in-flight";
  public static final String MAX_STREAMS = "console.max-streams";

  /** Shortest accepted token: guessing one must stay out of reach. */
  public static final int MIN_TOKEN_CHARS = 16;

  public static final ConfigDef DEF =
      CommonKeys.define(new ConfigDef())
          .define(
              HTTP_PORT,
              Type.INT,
              8080,
              Range.between(-1, 65_535),
              Importance.HIGH,
              "Port of the web console and the HTTP API (under `up` also the generator's /metrics,"
                  + " /livez, /readyz); 0 = any free port, -1 = no HTTP server.")
          .define(
              BIND_ADDRESS,
              Type.STRING,
              "127.0.0.1",
              new AddressValidator(),
              Importance.HIGH,
              "Address the HTTP server listens on. Anything but a loopback address needs "
                  + AUTH_TOKEN
                  + ".")
          .define(
              AUTH_TOKEN,
              Type.PASSWORD,
              "",
              Importance.HIGH,
              "Bearer token every request must carry (header `Authorization: Bearer TOKEN`; the page"
                  + " asks for it once); empty = none, allowed only on a loopback address. At least "
                  + MIN_TOKEN_CHARS
                  + " characters.")
          .define(
              MAX_BODY_BYTES,
              Type.INT,
              256 * 1024,
              Range.between(1024, 64 * 1024 * 1024),
              Importance.MEDIUM,
              "Largest request body accepted; a larger one gets 413.")
          .define(
              REQUEST_TIMEOUT_MS,
              Type.LONG,
              120_000L,
              Range.between(1_000, 3_600_000),
              Importance.MEDIUM,
              "How long a completion waits for the generator's answer before it gets 504.")
          .define(
              MAX_IN_FLIGHT,
              Type.INT,
              64,
              Range.between(1, 4096),
              Importance.MEDIUM,
              "Completions waiting for an answer at once; one more gets 429.")
          .define(
              MAX_STREAMS,
              Type.INT,
              16,
              Range.between(1, 1024),
              Importance.LOW,
              "Console event feeds (open browser tabs) at once; one more gets 503.");

  /** Reads and cross-checks the keys of {@link #DEF}. */
  public static ConsoleConfig from(EnvConfig c) {
    InetAddress bind = resolve(c.getString(BIND_ADDRESS));
    Password p = c.getPassword(AUTH_TOKEN);
    String token = p == null || p.value().isEmpty() ? null : p.value();
    if (token != null && token.length() < MIN_TOKEN_CHARS) {
      throw new ConfigException(
          AUTH_TOKEN
              + " is too short ("
              + token.length()
              + " characters): use at least "
              + MIN_TOKEN_CHARS
              + ", e.g. the output of `openssl rand -hex 24`");
    }
    if (token == null && !bind.isLoopbackAddress()) {
      throw new ConfigException(
          BIND_ADDRESS
              + " is "
              + c.getString(BIND_ADDRESS)
              + ", not a loopback address: set "
              + AUTH_TOKEN
              + " (env "
              + EnvConfig.envName(AUTH_TOKEN)
              + ") so that nobody else on the network can use the console");
    }
    return new ConsoleConfig(
        CommonKeys.topics(c),
        c.getInt(HTTP_PORT),
        bind,
        token,
        c.getInt(MAX_BODY_BYTES),
        Duration.ofMillis(c.getLong(REQUEST_TIMEOUT_MS)),
        c.getInt(MAX_IN_FLIGHT),
        c.getInt(MAX_STREAMS),
        c);
  }

  @Override
  public String toString() {
    // The record's default would print the token.
    return "ConsoleConfig[" + source + "]";
  }

  private static InetAddress resolve(String address) {
    try {
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new ConfigException(BIND_ADDRESS, address, "not an address of this host");
    }
  }

  private static final class AddressValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String s = (String) value;
      if (s == null || s.isBlank()) throw new ConfigException(name, value, "must not be empty");
      resolve(s.trim());
    }

    @Override
    public String toString() {
      return "an IP address or host name of this machine (127.0.0.1, 0.0.0.0, ...)";
    }
  }
}
