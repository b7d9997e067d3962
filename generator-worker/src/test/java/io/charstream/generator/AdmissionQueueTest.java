package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.SamplingOptions;
import io.charstream.schemas.message.Priority;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class AdmissionQueueTest {

  private static final TopicPartition P0 = new TopicPartition("req", 0);
  private static long offsets;

  private static Job job(String id, Priority priority) {
    RequestSpec spec =
        new RequestSpec(
            id,
            "KING",
            5,
            SamplingOptions.withSeed(1),
            "m",
            null,
            List.of(),
            false,
            null,
            priority,
            1,
            0);
    return new Job(spec, P0, offsets++, 0L);
  }

  private static AdmissionQueue queue(int batchEvery, String... ids) {
    AdmissionQueue q = new AdmissionQueue(batchEvery);
    for (String id : ids) {
      q.add(job(id, id.startsWith("b") ? Priority.BATCH : Priority.INTERACTIVE));
    }
    return q;
  }

  /** Admits {@code n} requests one at a time, skipping those in {@code waiting}; their ids. */
  private static List<String> admit(AdmissionQueue q, int n, Set<String> waiting) {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      for (Iterator<Job> it = q.candidates(); it.hasNext(); ) {
        Job j = it.next();
        if (waiting.contains(j.requestId())) {
          continue;
        }
        it.remove();
        q.admitted(j);
        out.add(j.requestId());
        break;
      }
    }
    return out;
  }

  @Test
  void interactiveRequestsStartFirstAndBatchOnesTakeWhatIsLeftInArrivalOrder() {
    AdmissionQueue q = queue(8, "b1", "b2", "i1", "i2", "b3", "i3");
    assertThat(q.size()).isEqualTo(6);
    assertThat(admit(q, 6, Set.of())).containsExactly("i1", "i2", "i3", "b1", "b2", "b3");
    assertThat(q.isEmpty()).isTrue();
    // Only batch work: it goes in arrival order.
    assertThat(admit(queue(8, "b1", "b2", "b3"), 3, Set.of())).containsExactly("b1", "b2", "b3");
  }

  @Test
  void batchIsNeverStarvedOneOfEveryBatchEveryAdmissionsIsBatchWhileBatchWaits() {
    AdmissionQueue q = queue(3, "b1", "b2", "i1", "i2", "i3", "i4", "i5", "i6", "i7");
    assertThat(q.batchDue()).isFalse();
    assertThat(admit(q, 9, Set.of()))
        .containsExactly("i1", "i2", "b1", "i3", "i4", "b2", "i5", "i6", "i7");
    // A steady stream of interactive requests (two arrive per admission) still lets batch through.
    AdmissionQueue busy = queue(4, "b1", "b2", "b3");
    List<String> order = new ArrayList<>();
    for (int k = 0; k < 12; k++) {
      busy.add(job("i" + (2 * k), Priority.INTERACTIVE));
      busy.add(job("i" + (2 * k + 1), Priority.INTERACTIVE));
      order.addAll(admit(busy, 1, Set.of()));
    }
    assertThat(order.stream().filter(id -> id.startsWith("b"))).containsExactly("b1", "b2", "b3");
    assertThat(order.indexOf("b1")).isEqualTo(3);
    assertThat(order.indexOf("b2")).isEqualTo(7);
    assertThat(order.indexOf("b3")).isEqualTo(11);
  }

  @Test
  void aBatchRequestWhoseModelIsLoadingIsSkippedWithoutLosingTheTurn() {
    AdmissionQueue q = queue(2, "b1", "b2", "i1", "i2", "i3");
    // b1 waits for its model: at batch's turn the next batch request goes instead.
    assertThat(admit(q, 4, Set.of("b1"))).containsExactly("i1", "b2", "i2", "i3");
    assertThat(q.batchDue()).isTrue();
    assertThat(admit(q, 1, Set.of())).containsExactly("b1");
  }

  @Test
  void theSchedulerFillsFreeSlotsInAdmissionOrderAndRemovesFromBothClasses() {
    SlotScheduler s = new SlotScheduler(2, (m, c) -> new FakeEngine(c), 1_000, 8);
    LoadedModel v1 = new LoadedModel("m", 1, null);
    List<Job> jobs =
        List.of(
            job("b1", Priority.BATCH),
            job("i1", Priority.INTERACTIVE),
            job("b2", Priority.BATCH),
            job("i2", Priority.INTERACTIVE));
    jobs.forEach(s::enqueue);
    SlotScheduler.Filled filled =
        s.fill(
            j -> {
              j.prepare(v1, new int[] {1, 2});
              return SlotScheduler.Readiness.READY;
            },
            0);
    assertThat(filled.started()).extracting(Job::requestId).containsExactly("i1", "i2");
    assertThat(s.remove(j -> j.requestId().startsWith("b")))
        .extracting(Job::requestId)
        .containsExactly("b1", "b2");
    assertThat(s.queued()).isZero();
  }
}
