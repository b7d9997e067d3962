package io.charstream.app.stack;

/**
 * Keeps the demo's console to what the demo says: the workers' and libraries' info lines go, their
 * warnings and errors stay ({@code --verbose} skips this). slf4j-simple reads these properties when
 * the first logger is made, so this must run before anything logs.
 */
final class Quiet {
  private static final String PREFIX = "org.slf4j.simpleLogger.";

  private Quiet() {}

  static void apply() {
    set("defaultLogLevel", "warn");
    // Kafka warns about things the demo handles itself (a topic's leader not elected yet, a rebalance).
    set("log.org.apache.kafka", "error");
    set("log.kafka", "error");
  }

  private static void set(String key, String value) {
    if (System.getProperty(PREFIX + key) == null) System.setProperty(PREFIX + key, value);
  }
}
