package io.charstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void namesCarryThePrefix() {
    Topics t = Topics.defaults();
    assertThat(t.corpus().name()).isEqualTo("charstream.corpus");
    assertThat(t.trainingRequests().name()).isEqualTo("charstream.training-requests");
    assertThat(t.trainingStatus().name()).isEqualTo("charstream.training-status");
    assertThat(t.checkpoints().name()).isEqualTo("charstream.checkpoints");
    assertThat(t.generateRequests().name()).isEqualTo("charstream.generate-requests");
    assertThat(t.generateResponses().name()).isEqualTo("charstream.generate-responses");
    assertThat(t.deadLetter(t.generateRequests()).name())
        .isEqualTo("charstream.generate-requests.dlq");
    Topics other = new Topics("test-7.");
    assertThat(other.all()).allSatisfy(topic -> assertThat(topic.name()).startsWith("test-7."));
    assertThat(other.all()).hasSameSizeAs(t.all());
  }

  @Test
  void everyInputHasADeadLetterTopicAndNamesAreUnique() {
    Topics t = Topics.defaults();
    assertThat(t.all().stream().map(Topic::name).distinct().count()).isEqualTo(t.all().size());
    for (Topic<?, ?> in : t.inputs()) {
      assertThat(t.all()).contains(t.deadLetter(in));
      assertThat(t.deadLetter(in).settings().maxMessageBytes())
          .isEqualTo(in.settings().maxMessageBytes());
    }
    assertThatThrownBy(() -> t.deadLetter(t.trainingStatus()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compactedTopicsAreThoseKeyedByState() {
    Topics t = Topics.defaults();
    assertThat(t.checkpoints().settings().cleanupPolicy()).isEqualTo("compact");
    assertThat(t.trainingStatus().settings().cleanupPolicy()).isEqualTo("compact");
    assertThat(t.corpus().settings().cleanupPolicy()).isEqualTo("delete");
    assertThat(t.corpus().settings().retentionMs()).isEqualTo(-1);
    assertThat(t.checkpoints().settings().configs()).containsEntry("max.message.bytes", "67108864");
    assertThat(t.checkpoints().settings().newTopic("x", (short) 1).configs())
        .containsEntry("cleanup.policy", "compact");
  }

  @Test
  void invalidPrefixIsRejectedWithTheRule() {
    assertThatThrownBy(() -> new Topics("has space.")).hasMessageContaining("A-Z a-z 0-9");
  }

  @Test
  void deadLettersKeepTheBytesAndSayWhy() {
    Topics t = Topics.defaults();
    ConsumerRecord<byte[], byte[]> in =
        new ConsumerRecord<>(
            t.trainingRequests().name(),
            2,
            17L,
            "m".getBytes(StandardCharsets.UTF_8),
            new byte[] {1, 2, 3});
    ProducerRecord<byte[], byte[]> out =
        DeadLetters.of(t, t.trainingRequests(), in, "not-json", "bad bytes", "w1");
    assertThat(out.topic()).isEqualTo("charstream.training-requests.dlq");
    assertThat(out.value()).containsExactly(1, 2, 3);
    assertThat(out.key()).isEqualTo("m".getBytes(StandardCharsets.UTF_8));
    assertThat(DeadLetters.header(out.headers(), DeadLetters.ERROR_KIND)).isEqualTo("not-json");
    assertThat(DeadLetters.header(out.headers(), DeadLetters.ERROR_MESSAGE)).isEqualTo("bad bytes");
    assertThat(DeadLetters.header(out.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("17");
    assertThat(DeadLetters.header(out.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("2");
  }
}
