package io.charstream.generator;

import java.util.List;
import org.apache.kafka.common.header.Header;

/**
 * Where a request's response records go, and the request headers every one of them carries.
 *
 * @param topic the reply topic (the request's {@code kafka_replyTopic}), or null for the responses
 *     topic
 * @param partition the request's {@code kafka_replyPartition}, or null for the key's partition
 * @param echo request headers copied to every response record: {@code kafka_correlationId} (Spring
 *     Kafka's request/reply), {@code traceparent} and {@code tracestate} (W3C trace context)
 */
record ReplyRoute(String topic, Integer partition, List<Header> echo) {

  /** The responses topic, keyed by requestId, without request headers. */
  static final ReplyRoute DEFAULT = new ReplyRoute(null, null, List.of());

  ReplyRoute {
    echo = List.copyOf(echo);
  }
}
