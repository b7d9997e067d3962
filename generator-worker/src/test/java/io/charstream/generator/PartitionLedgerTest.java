package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionLedgerTest {

  private static final TopicPartition P0 = new TopicPartition("req", 0);
  private static final TopicPartition P1 = new TopicPartition("req", 1);

  @Test
  void commitsOnlyUpToTheFirstUnansweredRequest() {
    PartitionLedger l = new PartitionLedger();
    l.received(P0, 10);
    l.received(P0, 11);
    l.received(P0, 12);
    assertThat(l.committableOffsets()).isEmpty();

    l.finished(P0, 11); // out of order: 10 is still running
    assertThat(l.committableOffsets()).isEmpty();

    l.finished(P0, 10);
    assertThat(l.committableOffsets()).isEqualTo(Map.of(P0, new OffsetAndMetadata(12)));
    l.committed(l.committableOffsets());
    assertThat(l.committableOffsets()).isEmpty();

    l.finished(P0, 12);
    assertThat(l.committableOffsets()).isEqualTo(Map.of(P0, new OffsetAndMetadata(13)));
    assertThat(l.openCount()).isZero();
  }

  @Test
  void partitionsAreIndependent() {
    PartitionLedger l = new PartitionLedger();
    l.received(P0, 0);
    l.received(P1, 5);
    l.finished(P1, 5);
    assertThat(l.committableOffsets()).isEqualTo(Map.of(P1, new OffsetAndMetadata(6)));
    assertThat(l.hasOpen(P0)).isTrue();
    assertThat(l.hasOpen(P1)).isFalse();
  }

  @Test
  void rewindReturnsToTheLastCommittedOffsetAndForgetsOpenRequests() {
    PartitionLedger l = new PartitionLedger();
    l.received(P0, 3);
    l.finished(P0, 3);
    l.committed(l.committableOffsets()); // committed 4
    l.received(P0, 4);
    l.received(P0, 5);
    l.finished(P0, 4); // answered, but its transaction aborted

    assertThat(l.rewind(P0)).hasValue(4);
    assertThat(l.openCount()).isZero();
    assertThat(l.committableOffsets()).isEmpty();
    // The same offsets arrive again after the seek.
    l.received(P0, 4);
    l.finished(P0, 4);
    assertThat(l.committableOffsets()).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
  }

  @Test
  void rewindIsEmptyWhenNothingIsUncommitted() {
    PartitionLedger l = new PartitionLedger();
    assertThat(l.rewind(P0)).isEmpty();
    l.received(P0, 0);
    l.finished(P0, 0);
    l.committed(l.committableOffsets());
    assertThat(l.rewind(P0)).isEmpty();
  }

  @Test
  void rejectsOffsetsThatGoBackwardsOrWereNeverReceived() {
    PartitionLedger l = new PartitionLedger();
    l.received(P0, 7);
    assertThatThrownBy(() -> l.received(P0, 7)).hasMessageContaining("received twice");
    assertThatThrownBy(() -> l.finished(P0, 8)).hasMessageContaining("is not open");
    l.remove(P0);
    assertThat(l.openCount()).isZero();
  }
}
