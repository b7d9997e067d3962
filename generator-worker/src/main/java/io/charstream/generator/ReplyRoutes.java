package io.charstream.generator;

import io.charstream.schemas.json.Utf8;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Reads where a request wants its answer: Spring Kafka's request/reply headers ({@code
 * kafka_replyTopic}, optionally {@code kafka_replyPartition} as a 4-byte big-endian int, and {@code
 * kafka_correlationId}, echoed) and the W3C trace context ({@code traceparent}, {@code tracestate},
 * echoed). A reply topic must match the configured allow-list pattern (or be the responses topic)
 * and exist, and a reply partition must be one of its partitions: a record the broker would refuse
 * would fail every transaction it is in, and the request would be read again forever. A request
 * whose reply headers are refused is answered with error kind {@code reply-topic-not-allowed} on
 * the responses topic, still with its correlation id and trace context. Owned by the worker thread.
 */
final class ReplyRoutes {

  static final String REPLY_TOPIC = "kafka_replyTopic";
  static final String REPLY_PARTITION = "kafka_replyPartition";
  static final String CORRELATION_ID = "kafka_correlationId";
  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";

  /** The request headers copied to every response record. */
  static final List<String> ECHOED = List.of(CORRELATION_ID, TRACEPARENT, TRACESTATE);

  /** How long a topic found missing is not asked about again. */
  private static final long MISSING_RECHECK_NANOS = 5_000_000_000L;

  /** The outcome of {@link #resolve}. */
  sealed interface Resolved permits Routed, Refused {}

  record Routed(ReplyRoute route) implements Resolved {}

  /** The reply headers cannot be honoured: answer the error on {@code fallback}. */
  record Refused(String message, ReplyRoute fallback) implements Resolved {}

  private final Pattern allowed;
  private final String responses;
  private final ToIntFunction<String> partitionCount;
  private final Map<String, Integer> partitions = new HashMap<>();
  private final Map<String, Long> missingSince = new HashMap<>();

  /**
   * @param allowed reply topics that may be written to (full match); the responses topic always may
   * @param responses the responses topic
   * @param partitionCount partitions of a topic, or 0 when it does not exist (asked once per topic,
   *     and again for a missing one after a few seconds)
   */
  ReplyRoutes(Pattern allowed, String responses, ToIntFunction<String> partitionCount) {
    this.allowed = allowed;
    this.responses = responses;
    this.partitionCount = partitionCount;
  }

  Resolved resolve(Headers headers, long nowNanos) {
    List<Header> echo = new ArrayList<>(ECHOED.size());
    for (String name : ECHOED) {
      Header h = headers.lastHeader(name);
      if (h != null && h.value() != null) {
        echo.add(h);
      }
    }
    Header topicHeader = headers.lastHeader(REPLY_TOPIC);
    Header partitionHeader = headers.lastHeader(REPLY_PARTITION);
    ReplyRoute fallback = new ReplyRoute(null, null, echo);
    if (topicHeader == null) {
      return partitionHeader == null
          ? new Routed(fallback)
          : new Refused(REPLY_PARTITION + " given without " + REPLY_TOPIC, fallback);
    }
    String topic = utf8(topicHeader.value());
    if (topic == null || topic.isEmpty()) {
      return new Refused(REPLY_TOPIC + " header is empty or not UTF-8", fallback);
    }
    if (!topic.equals(responses) && !allowed.matcher(topic).matches()) {
      return new Refused(
          REPLY_TOPIC
              + " '"
              + topic
              + "' is not allowed: this generator replies only to topics matching '"
              + allowed.pattern()
              + "' (config reply.topic-pattern) or to "
              + responses,
          fallback);
    }
    int count = partitions(topic, nowNanos);
    if (count <= 0) {
      return new Refused(
          REPLY_TOPIC + " '" + topic + "' does not exist: create it before sending requests",
          fallback);
    }
    Integer partition = null;
    if (partitionHeader != null) {
      byte[] v = partitionHeader.value();
      if (v == null || v.length != 4) {
        return new Refused(
            REPLY_PARTITION + " must be a 4-byte big-endian int (as Spring Kafka writes it)",
            fallback);
      }
      partition = ByteBuffer.wrap(v).getInt();
      if (partition < 0 || partition >= count) {
        return new Refused(
            REPLY_PARTITION
                + " "
                + partition
                + " is not a partition of '"
                + topic
                + "' (it has "
                + count
                + ")",
            fallback);
      }
    }
    return new Routed(new ReplyRoute(topic, partition, echo));
  }

  private int partitions(String topic, long nowNanos) {
    Integer known = partitions.get(topic);
    if (known != null) {
      return known;
    }
    Long since = missingSince.get(topic);
    if (since != null && nowNanos - since < MISSING_RECHECK_NANOS) {
      return 0;
    }
    int n = partitionCount.applyAsInt(topic);
    if (n > 0) {
      partitions.put(topic, n);
      missingSince.remove(topic);
    } else {
      missingSince.put(topic, nowNanos);
    }
    return n;
  }

  private static String utf8(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return Utf8.decode(bytes);
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
