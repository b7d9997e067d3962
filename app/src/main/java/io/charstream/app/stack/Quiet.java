package io.charstream.app.stack;

/**
 * Keeps the demo's console to what the demo says: the workers' and libraries' info lines go, their
 * warnings and errors stay ({@code --verbose} skips this). slf4j-simple reads a logger's level
 * (system property first, then simplelogger.properties) when the logger is made, and the workers'
 * loggers are made when their classes first load, after this runs; the default level is read once
 * at start-up, so the packages are named one by one.
 */
final class Quiet {
  private static final String PREFIX = "org.slf4j.simpleLogger.log.";

  private Quiet() {}

  static void apply() {
    set("io.charstream", "warn");
    set("org.nd4j", "warn");
    set("org.deeplearning4j", "warn");
    // Kafka warns about things the demo handles itself (a topic's leader not elected yet, a
    // rebalance).
    set("org.apache.kafka", "error");
    set("kafka", "error");
  }

  private static void set(String logger, String level) {
    if (System.getProperty(PREFIX + logger) == null) System.setProperty(PREFIX + logger, level);
  }
}
