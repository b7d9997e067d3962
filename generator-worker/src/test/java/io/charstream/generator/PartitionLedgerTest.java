package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionLedgerTest {

  private static final TopicPartition P0 = new TopicPartition("req", 0);
  private static final TopicPartition P1 = new TopicPartition("req", 1);

  /** A ledger that received offsets {@code from} to {@code to} - 1 of P0, none answered. */
  private static PartitionLedger receivedOnP0(long from, long to) {
    PartitionLedger l = new PartitionLedger();
    for (long o = from; o < to; o++) {
      assertThat(l.received(P0, o)).isTrue();
    }
    return l;
  }

  @Test
  void commitsOnlyUpToTheFirstUnansweredRequest() {
    PartitionLedger l = receivedOnP0(10, 13);
    assertThat(l.committableOffsets()).isEmpty();

    l.finished(P0, 11); // out of order: 10 is still running
    // Its final record commits now: the offset stays at 10, and the metadata says 11 is answered.
    assertThat(l.committableOffsets())
        .isEqualTo(Map.of(P0, new OffsetAndMetadata(10, "answered=1")));
    l.committed(l.committableOffsets());
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
  void aNewOwnerSkipsWhatThePreviousOneAnsweredPastItsCommittedOffset() {
    PartitionLedger before = receivedOnP0(20, 26);
    before.finished(P0, 22);
    before.finished(P0, 23);
    before.finished(P0, 25);
    Map<TopicPartition, OffsetAndMetadata> committed = before.committableOffsets();
    assertThat(committed).isEqualTo(Map.of(P0, new OffsetAndMetadata(20, "answered=2-3,5")));
    before.committed(committed);

    // The worker dies; the next owner starts from offset 20 with that metadata.
    PartitionLedger after = new PartitionLedger();
    after.assigned(P0, committed.get(P0));
    assertThat(after.received(P0, 20)).isTrue();
    assertThat(after.received(P0, 21)).isTrue();
    assertThat(after.received(P0, 22)).as("answered already").isFalse();
    assertThat(after.received(P0, 23)).isFalse();
    // Until 20 and 21 are answered, what the first owner answered stays in the metadata.
    after.finished(P0, 21);
    assertThat(after.committableOffsets())
        .isEqualTo(Map.of(P0, new OffsetAndMetadata(20, "answered=1-3,5")));
    after.finished(P0, 20);
    assertThat(after.committableOffsets())
        .isEqualTo(Map.of(P0, new OffsetAndMetadata(24, "answered=1")));
    assertThat(after.received(P0, 24)).isTrue();
    assertThat(after.received(P0, 25)).isFalse();
    after.finished(P0, 24);
    assertThat(after.committableOffsets()).isEqualTo(Map.of(P0, new OffsetAndMetadata(26, "")));
    assertThat(after.openCount()).isZero();
  }

  /**
   * A consumer whose position is older than the group's commit (a partition lost during a network
   * cut and given back: NetworkPartitionIT) delivers offsets below it: they are answered, skipped,
   * and neither fatal nor taken for a consumer going back.
   */
  @Test
  void offsetsBelowTheCommittedOneAreSkippedNotReceivedTwice() {
    PartitionLedger l = new PartitionLedger();
    l.assigned(P0, new OffsetAndMetadata(1));
    assertThat(l.delivered(P0, 0)).isFalse();
    assertThat(l.received(P0, 0)).isFalse();
    assertThat(l.received(P0, 1)).isTrue();
    assertThat(l.delivered(P0, 1)).isTrue();
    assertThat(l.received(P0, 0)).isFalse();
  }

  @Test
  void anAbortForgetsWhatWasAnsweredInItButNotWhatCommittedBefore() {
    PartitionLedger l = receivedOnP0(0, 3);
    l.finished(P0, 1);
    l.committed(l.committableOffsets()); // offset 0, answered=1
    l.finished(P0, 2); // in the transaction that aborts
    assertThat(l.rewind(P0)).hasValue(0);
    assertThat(l.received(P0, 0)).isTrue();
    assertThat(l.received(P0, 1)).as("committed before the abort").isFalse();
    assertThat(l.received(P0, 2)).as("its answer was aborted").isTrue();
  }

  @Test
  void metadataThatIsNotOursSkipsNothingAndLongListsAreCut() {
    assertThat(PartitionLedger.decode(5, "set by kafka-consumer-groups")).isEmpty();
    assertThat(PartitionLedger.decode(5, "answered=x")).isEmpty();
    assertThat(PartitionLedger.decode(5, "answered=0,2-3")).containsExactly(5L, 7L, 8L);
    java.util.TreeSet<Long> every2nd = new java.util.TreeSet<>();
    for (long o = 0; o < 10_000; o += 2) {
      every2nd.add(o);
    }
    String m = PartitionLedger.encode(0, every2nd);
    assertThat(m.length()).isLessThanOrEqualTo(PartitionLedger.METADATA_MAX_CHARS);
    assertThat(PartitionLedger.decode(0, m)).isSubsetOf(every2nd).startsWith(0L, 2L, 4L);
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

  /**
   * A transaction prepared ahead of answers carries the offsets as if the expected requests were
   * answered; what it finally sends makes it commit exactly what is answered, whatever finished.
   */
  @Test
  void aPreparedTransactionIsCorrectedToWhatWasAnswered() {
    PartitionLedger l = receivedOnP0(5, 8);
    l.received(P1, 40);
    Map<TopicPartition, OffsetAndMetadata> prepared =
        l.committableOffsets(Map.of(P0, List.of(5L, 6L)));
    assertThat(prepared).isEqualTo(Map.of(P0, new OffsetAndMetadata(7)));
    assertThat(l.committableOffsets(Map.of(P0, List.of(6L, 99L))))
        .as("6 past the running 5; 99 is not open")
        .isEqualTo(Map.of(P0, new OffsetAndMetadata(5, "answered=1")));
    assertThat(l.committableOffsets()).as("nothing answered yet").isEmpty();

    // Nothing expected finished: the prepared offset goes back to the committed one.
    assertThat(l.corrections(prepared)).isEqualTo(Map.of(P0, new OffsetAndMetadata(5)));
    // Only 5 did: the offset stops at 6.
    l.finished(P0, 5);
    assertThat(l.corrections(prepared)).isEqualTo(Map.of(P0, new OffsetAndMetadata(6)));
    // Both did, as expected: nothing to send again; a request of another partition answered
    // meanwhile is sent too.
    l.finished(P0, 6);
    l.finished(P1, 40);
    assertThat(l.corrections(prepared)).isEqualTo(Map.of(P1, new OffsetAndMetadata(41)));
    // More than expected: the offset moves past the prepared one.
    l.finished(P0, 7);
    assertThat(l.corrections(prepared))
        .isEqualTo(Map.of(P0, new OffsetAndMetadata(8), P1, new OffsetAndMetadata(41)));
    // A prepared partition this worker no longer tracks: the transaction cannot be corrected.
    l.remove(P0);
    assertThat(l.corrections(prepared)).isNull();
  }
}
