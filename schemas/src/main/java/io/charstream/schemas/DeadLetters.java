package io.charstream.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records: the original key and value bytes, unchanged, with headers that say where the
 * record came from and why it could not be processed. Every worker writes them the same way.
 */
public final class DeadLetters {
  public static final String ERROR_KIND = "charstream.error.kind";
  public static final String ERROR_MESSAGE = "charstream.error.message";
  public static final String SOURCE_TOPIC = "charstream.source.topic";
  public static final String SOURCE_PARTITION = "charstream.source.partition";
  public static final String SOURCE_OFFSET = "charstream.source.offset";
  public static final String SOURCE_TIMESTAMP = "charstream.source.timestamp";
  public static final String WORKER = "charstream.worker";

  /**
   * Set when the value was cut to fit the dead-letter topic: the original value's size in bytes.
   */
  public static final String VALUE_ORIGINAL_BYTES = "charstream.value.original-bytes";

  /** Error messages are cut to this many characters in the header. */
  public static final int MAX_MESSAGE_CHARS = 2000;

  /** Bytes a dead letter keeps free for the error headers and the record batch's own overhead. */
  public static final int OVERHEAD_BYTES = 16 * 1024;

  private DeadLetters() {}

  /** The dead-letter record for a record read from {@code source}. Original headers are kept. */
  public static ProducerRecord<byte[], byte[]> of(
      Topics topics,
      Topic<?, ?> source,
      ConsumerRecord<byte[], byte[]> record,
      String kind,
      String message,
      String worker) {
    Headers headers = new RecordHeaders();
    for (Header h : record.headers()) headers.add(h);
    addErrorHeaders(
        headers,
        record.topic(),
        record.partition(),
        record.offset(),
        record.timestamp(),
        kind,
        message,
        worker);
    byte[] value =
        fit(
            record.key(),
            record.value(),
            headers,
            topics.deadLetter(source).settings().maxMessageBytes());
    return new ProducerRecord<>(
        topics.deadLetter(source).name(), null, record.key(), value, headers);
  }

  /**
   * The value a dead letter can carry in a record of at most {@code maxRecordBytes} (the
   * dead-letter topic's max.message.bytes, or the producer's max.request.size if smaller); call it
   * after {@link #addErrorHeaders}. A record that fits its source topic may not fit once the error
   * headers are added, or when an operator raised only the source topic's limit; the broker or the
   * producer would refuse it, and a worker that retries would never get past that record. So when
   * the record would not fit, the original headers are dropped if they alone take half the room,
   * the value is cut to its head, {@link #VALUE_ORIGINAL_BYTES} is set and the error message says
   * where the whole record is (on the source topic, until its retention).
   *
   * @param headers the dead letter's headers, changed in place when the value is cut
   * @return {@code value} itself when the record fits, else its first bytes
   */
  public static byte[] fit(byte[] key, byte[] value, Headers headers, int maxRecordBytes) {
    int fixed = OVERHEAD_BYTES + (key == null ? 0 : key.length);
    if (value == null || fixed + value.length + size(headers) <= maxRecordBytes) return value;
    if (size(headers) > maxRecordBytes / 2) {
      for (Header h : headers.toArray()) {
        if (!h.key().startsWith("charstream.")) headers.remove(h.key());
      }
    }
    int room = Math.max(0, maxRecordBytes - fixed - size(headers));
    if (value.length <= room) return value;
    put(headers, VALUE_ORIGINAL_BYTES, Integer.toString(value.length));
    String why =
        "value cut to its first "
            + room
            + " of "
            + value.length
            + " bytes to fit the dead-letter topic (the"
            + " whole record is at "
            + header(headers, SOURCE_TOPIC)
            + "/"
            + header(headers, SOURCE_PARTITION)
            + "@"
            + header(headers, SOURCE_OFFSET)
            + " until its retention); "
            + header(headers, ERROR_MESSAGE);
    put(
        headers,
        ERROR_MESSAGE,
        why.length() > MAX_MESSAGE_CHARS ? why.substring(0, MAX_MESSAGE_CHARS) : why);
    return java.util.Arrays.copyOf(value, room);
  }

  private static int size(Headers headers) {
    int n = 0;
    for (Header h : headers) n += h.key().length() * 3 + (h.value() == null ? 0 : h.value().length);
    return n;
  }

  /**
   * Adds the error headers; for callers (Kafka Streams processors) that build the record
   * themselves.
   */
  public static void addErrorHeaders(
      Headers headers,
      String topic,
      int partition,
      long offset,
      long timestamp,
      String kind,
      String message,
      String worker) {
    put(headers, ERROR_KIND, kind);
    put(
        headers,
        ERROR_MESSAGE,
        message == null
            ? ""
            : message.length() > MAX_MESSAGE_CHARS
                ? message.substring(0, MAX_MESSAGE_CHARS)
                : message);
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
