package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.generator.ReplyRoutes.Refused;
import io.charstream.generator.ReplyRoutes.Resolved;
import io.charstream.generator.ReplyRoutes.Routed;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class ReplyRoutesTest {

  private final List<String> asked = new ArrayList<>();
  private final Map<String, Integer> existing = Map.of("charstream.replies.me", 3, "responses", 12);
  private final ReplyRoutes routes =
      new ReplyRoutes(
          GeneratorWorker.Settings.DEFAULT_REPLY_TOPICS,
          "responses",
          t -> {
            asked.add(t);
            return existing.getOrDefault(t, 0);
          });

  private static RecordHeaders headers(Object... nameValue) {
    RecordHeaders h = new RecordHeaders();
    for (int i = 0; i < nameValue.length; i += 2) {
      Object v = nameValue[i + 1];
      h.add(
          (String) nameValue[i],
          v instanceof byte[] b ? b : String.valueOf(v).getBytes(StandardCharsets.UTF_8));
    }
    return h;
  }

  private static byte[] int4(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  private ReplyRoute routed(Resolved r) {
    assertThat(r).isInstanceOf(Routed.class);
    return ((Routed) r).route();
  }

  private Refused refused(Resolved r) {
    assertThat(r).isInstanceOf(Refused.class);
    return (Refused) r;
  }

  /** Why a record with these headers, received at time 0, is refused. */
  private String refusal(Object... nameValue) {
    return refused(routes.resolve(headers(nameValue), 0)).message();
  }

  @Test
  void withoutHeadersTheAnswerGoesToTheResponsesTopicAsBefore() {
    assertThat(routed(routes.resolve(new RecordHeaders(), 0))).isEqualTo(ReplyRoute.DEFAULT);
    assertThat(asked).isEmpty();
  }

  @Test
  void anAllowedReplyTopicWithPartitionIsUsedAndCorrelationAndTraceContextAreEchoed() {
    byte[] correlation = {1, 2, 3, 0, -1};
    ReplyRoute r =
        routed(
            routes.resolve(
                headers(
                    ReplyRoutes.REPLY_TOPIC,
                    "charstream.replies.me",
                    ReplyRoutes.REPLY_PARTITION,
                    int4(2),
                    ReplyRoutes.CORRELATION_ID,
                    correlation,
                    ReplyRoutes.TRACEPARENT,
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    ReplyRoutes.TRACESTATE,
                    "congo=t61rcWkgMzE",
                    "other",
                    "not echoed"),
                0));
    assertThat(r.topic()).isEqualTo("charstream.replies.me");
    assertThat(r.partition()).isEqualTo(2);
    assertThat(r.echo())
        .extracting(Header::key)
        .containsExactly(
            ReplyRoutes.CORRELATION_ID, ReplyRoutes.TRACEPARENT, ReplyRoutes.TRACESTATE);
    assertThat(r.echo().get(0).value()).isEqualTo(correlation);
    // Trace context alone keeps the responses topic.
    ReplyRoute traced = routed(routes.resolve(headers(ReplyRoutes.TRACEPARENT, "00-ab-cd-01"), 0));
    assertThat(traced.topic()).isNull();
    assertThat(traced.echo()).extracting(Header::key).containsExactly(ReplyRoutes.TRACEPARENT);
    // The responses topic is always allowed.
    assertThat(routed(routes.resolve(headers(ReplyRoutes.REPLY_TOPIC, "responses"), 0)).topic())
        .isEqualTo("responses");
  }

  @Test
  void disallowedMissingOrBadReplyHeadersAreRefusedWithTheEchoKept() {
    Refused other =
        refused(
            routes.resolve(
                headers(
                    ReplyRoutes.REPLY_TOPIC,
                    "charstream.generate-requests",
                    ReplyRoutes.CORRELATION_ID,
                    "c1"),
                0));
    assertThat(other.message())
        .contains("'charstream.generate-requests' is not allowed")
        .contains("reply.topic-pattern");
    assertThat(other.fallback().topic()).isNull();
    assertThat(other.fallback().echo())
        .extracting(Header::key)
        .containsExactly(ReplyRoutes.CORRELATION_ID);
    assertThat(asked).isEmpty();

    assertThat(refusal(ReplyRoutes.REPLY_TOPIC, "charstream.replies.gone"))
        .contains("does not exist");
    // A missing topic is asked about again only after a few seconds.
    refused(routes.resolve(headers(ReplyRoutes.REPLY_TOPIC, "charstream.replies.gone"), 1));
    assertThat(asked).containsExactly("charstream.replies.gone");
    refused(
        routes.resolve(
            headers(ReplyRoutes.REPLY_TOPIC, "charstream.replies.gone"), 6_000_000_000L));
    assertThat(asked).hasSize(2);

    assertThat(
            refusal(
                ReplyRoutes.REPLY_TOPIC,
                "charstream.replies.me",
                ReplyRoutes.REPLY_PARTITION,
                int4(3)))
        .contains("3 is not a partition")
        .contains("it has 3");
    assertThat(
            refusal(
                ReplyRoutes.REPLY_TOPIC, "charstream.replies.me", ReplyRoutes.REPLY_PARTITION, "2"))
        .contains("4-byte");
    assertThat(refusal(ReplyRoutes.REPLY_PARTITION, int4(0))).contains("without");
    assertThat(refusal(ReplyRoutes.REPLY_TOPIC, new byte[] {(byte) 0xC3, '"'}))
        .contains("not UTF-8");
    // Known topics are asked about once.
    routed(routes.resolve(headers(ReplyRoutes.REPLY_TOPIC, "charstream.replies.me"), 0));
    assertThat(asked.stream().filter("charstream.replies.me"::equals)).hasSize(1);
  }
}
