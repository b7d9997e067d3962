package io.charstream.schemas;

import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the contract: its full name (prefix included), its key and value serdes and its
 * settings. Code names topics only through these, never as strings.
 *
 * @param logicalName the name without prefix, e.g. {@code training-status}
 * @param name the full name, e.g. {@code charstream.training-status}
 */
public record Topic<K, V>(
    String logicalName,
    String name,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    TopicSettings settings) {

  @Override
  public String toString() {
    return name;
  }
}
