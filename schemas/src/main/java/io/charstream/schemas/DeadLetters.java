package io.charstream.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records: the original key and value bytes, unchanged, with headers that say where
 * the record came from and why it could not be processed. Every worker writes them the same way.
 */
public final class DeadLetters {
  public static final String ERROR_KIND = "charstream.error.kind";
  public static final String ERROR_MESSAGE = "charstream.error.message";
  public static final String SOURCE_TOPIC = "charstream.source.topic";
  public static final String SOURCE_PARTITION = "charstream.source.partition";
  public static final String SOURCE_OFFSET = "charstream.source.offset";
  public static final String SOURCE_TIMESTAMP = "charstream.source.timestamp";
  public static final String WORKER = "charstream.worker";

  /** Error messages are cut to this many characters in the header. */
  public static final int MAX_MESSAGE_CHARS = 2000;

  private DeadLetters() {}

  /** The dead-letter record for a record read from {@code source}. Original headers are kept. */
  public static ProducerRecord<byte[], byte[]> of(Topics topics, Topic<?, ?> source,
      ConsumerRecord<byte[], byte[]> record, String kind, String message, String worker) {
    Headers headers = new RecordHeaders();
    for (Header h : record.headers()) headers.add(h);
    addErrorHeaders(headers, record.topic(), record.partition(), record.offset(), record.timestamp(),
        kind, message, worker);
    return new ProducerRecord<>(topics.deadLetter(source).name(), null, record.key(), record.value(), headers);
  }

  /** Adds the error headers; for callers (Kafka Streams processors) that build the record themselves. */
  public static void addErrorHeaders(Headers headers, String topic, int partition, long offset, long timestamp,
      String kind, String message, String worker) {
    put(headers, ERROR_KIND, kind);
    put(headers, ERROR_MESSAGE, message == null ? "" : message.length() > MAX_MESSAGE_CHARS
        ? message.substring(0, MAX_MESSAGE_CHARS) : message);
    put(headers, SOURCE_TOPIC, topic);
    put(headers, SOURCE_PARTITION, Integer.toString(partition));
    put(headers, SOURCE_OFFSET, Long.toString(offset));
    put(headers, SOURCE_TIMESTAMP, Long.toString(timestamp));
    put(headers, WORKER, worker);
  }

  /** The text of a header, or null. */
  public static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
  }
}
