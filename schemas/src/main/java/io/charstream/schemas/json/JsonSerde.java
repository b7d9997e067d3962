package io.charstream.schemas.json;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde of one message type through the strict {@link Json} codec. A null value is a
 * tombstone both ways. Deserialization errors are {@link MessageFormatException}s naming the field.
 */
public final class JsonSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {
  private final Class<T> type;

  public JsonSerde(Class<T> type) {
    this.type = type;
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    return data == null ? null : Json.write(data, type);
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return data == null ? null : Json.read(data, type);
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void configure(java.util.Map<String, ?> configs, boolean isKey) {}

  @Override
  public void close() {}
}
