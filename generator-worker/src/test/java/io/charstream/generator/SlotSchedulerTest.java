package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.generator.SlotScheduler.Readiness;
import io.charstream.model.SamplingOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class SlotSchedulerTest {

  private static final TopicPartition P0 = new TopicPartition("req", 0);
  private static final TopicPartition P1 = new TopicPartition("req", 1);
  private static final LoadedModel V1 = new LoadedModel("m", 1, null);
  private static final LoadedModel V2 = new LoadedModel("m", 2, null);

  private final Map<LoadedModel.ModelKey, FakeEngine> engines = new HashMap<>();
  private final SlotScheduler.Batches factory =
      (model, capacity) -> {
        FakeEngine e = new FakeEngine(capacity);
        engines.put(model.key(), e);
        return e;
      };

  private static long offsets;

  private static Job job(String id, int length, long seed, List<String> stop, TopicPartition tp) {
    RequestSpec spec =
        new RequestSpec(id, "KING", length, SamplingOptions.withSeed(seed), "m", null, stop, false);
    return new Job(spec, tp, offsets++, 0L);
  }

  private static Job job(String id, int length, long seed) {
    return job(id, length, seed, List.of(), P0);
  }

  /** A scheduler of {@code slots} slots with {@code jobs} queued in this order. */
  private SlotScheduler scheduler(int slots, Job... jobs) {
    SlotScheduler s = new SlotScheduler(slots, factory, 1_000);
    for (Job j : jobs) {
      s.enqueue(j);
    }
    return s;
  }

  private static Readiness readyOn(Job j, LoadedModel m) {
    j.prepare(m, new int[] {1, 2, 3, 4});
    return Readiness.READY;
  }

  /** Runs fill + step until everything is finished; returns finished jobs in finishing order. */
  private static List<Job> runAll(SlotScheduler s, SlotScheduler.Preparer p) {
    List<Job> done = new ArrayList<>();
    for (int guard = 0; guard < 10_000 && !s.idle(); guard++) {
      s.fill(p, 0);
      assertThat(s.active()).isLessThanOrEqualTo(s.capacity());
      done.addAll(s.step(0).finished());
    }
    assertThat(s.idle()).isTrue();
    return done;
  }

  @Test
  void neverRunsMoreThanCapacityAndAnswersEveryJob() {
    SlotScheduler s = new SlotScheduler(3, factory, 1_000);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Job j = job("r" + i, 1 + i % 4, i);
      jobs.add(j);
      s.enqueue(j);
    }
    List<Job> done = runAll(s, j -> readyOn(j, V1));

    assertThat(done).containsExactlyInAnyOrderElementsOf(jobs);
    assertThat(engines.get(V1.key()).maxOpen).isEqualTo(3);
    for (Job j : jobs) {
      assertThat(j.text())
          .isEqualTo(FakeEngine.expected(j.spec().sampling().randomSeed(), j.spec().length()));
      assertThat(j.finish()).isEqualTo(Job.Finish.LENGTH);
      assertThat(j.slot()).isEqualTo(-1);
    }
  }

  @Test
  void aCancelFreesTheSlotAtOnceAndEndsRunningAndQueuedJobsWithTheirTextSoFar() {
    Job running = job("c1", 50, 1);
    Job queued = job("c2", 50, 2);
    Job other = job("c3", 5, 3);
    SlotScheduler s = scheduler(1, running, queued, other);
    SlotScheduler.Preparer p = j -> readyOn(j, V1);
    s.fill(p, 0);
    s.step(0);
    s.step(0);

    // Only requests read before the tombstone, from its partition, are cancelled.
    assertThat(s.cancel("c1", P1, Long.MAX_VALUE, 0)).isEmpty();
    assertThat(s.cancel("c1", P0, running.offset(), 0)).isEmpty();
    List<Job> cancelled = s.cancel("c1", P0, running.offset() + 100, 7);
    assertThat(cancelled).containsExactly(running);
    assertThat(running.finish()).isEqualTo(Job.Finish.CANCELLED);
    assertThat(running.text()).isEqualTo(FakeEngine.expected(1, 2));
    assertThat(running.slot()).isEqualTo(-1);
    assertThat(running.finishedNanos()).isEqualTo(7);
    assertThat(s.active()).isZero();

    assertThat(s.cancel("c2", P0, queued.offset() + 1, 0)).containsExactly(queued);
    assertThat(queued.finish()).isEqualTo(Job.Finish.CANCELLED);
    assertThat(queued.started()).isFalse();
    assertThat(queued.text()).isEmpty();
    // The freed slot goes to the next request; a second cancel of a gone request is a no-op.
    assertThat(runAll(s, p)).containsExactly(other);
    assertThat(s.cancel("c1", P0, Long.MAX_VALUE, 0)).isEmpty();
  }

  private static Job timed(String id, int length, Long timeoutMs, long originDelayMs) {
    RequestSpec spec =
        new RequestSpec(
            id,
            "KING",
            length,
            SamplingOptions.withSeed(1),
            "m",
            null,
            List.of(),
            false,
            timeoutMs,
            null,
            1,
            0);
    return new Job(spec, P0, offsets++, 0L, originDelayMs);
  }

  @Test
  void deadlinesEndQueuedJobsWithoutWorkAndRunningOnesWithTheirTextSoFar() {
    long ms = 1_000_000L;
    SlotScheduler s = new SlotScheduler(1, factory, 1_000);
    Job running = timed("d-run", 50, 10L, 0);
    Job queued = timed("d-queued", 50, 5L, 0);
    Job late = timed("d-late", 50, 100L, 98); // its record is 98 ms old when read: 2 ms left
    Job bounded = timed("d-bounded", 50, null, 0);
    bounded.limitQueueWait(3);
    Job free = timed("d-free", 3, null, 0);
    free.limitQueueWait(0); // 0: no bound
    for (Job j : List.of(running, queued, late, bounded, free)) {
      s.enqueue(j);
    }
    SlotScheduler.Preparer p = j -> readyOn(j, V1);
    s.fill(p, 0);
    s.step(ms);
    s.step(ms);

    SlotScheduler.Expired at1 = s.expire(ms);
    assertThat(at1.queued()).isEmpty();
    assertThat(at1.running()).isEmpty();
    assertThat(s.expire(2 * ms).queued()).containsExactly(late);
    assertThat(s.expire(3 * ms).queued()).containsExactly(bounded);
    assertThat(s.expire(5 * ms).queued()).containsExactly(queued);
    assertThat(s.expire(9 * ms).running()).isEmpty();
    SlotScheduler.Expired at10 = s.expire(10 * ms);
    assertThat(at10.queued()).isEmpty();
    assertThat(at10.running()).containsExactly(running);
    assertThat(running.finish()).isEqualTo(Job.Finish.DEADLINE);
    assertThat(running.text()).isEqualTo(FakeEngine.expected(1, 2));
    assertThat(running.slot()).isEqualTo(-1);
    assertThat(s.active()).isZero();
    // A request without a deadline is never expired, however long it waits or runs.
    assertThat(s.expire(Long.MAX_VALUE / 2).queued()).isEmpty();
    assertThat(runAll(s, p)).containsExactly(free);
    assertThat(free.finish()).isEqualTo(Job.Finish.LENGTH);
  }

  @Test
  void aRequestWithSeveralSamplesTakesASlotPerSampleAndFinishesWithTheLast() {
    SlotScheduler s = new SlotScheduler(4, factory, 1_000);
    RequestSpec three =
        new RequestSpec(
            "n3",
            "KING",
            6,
            SamplingOptions.withSeed(10),
            "m",
            null,
            List.of("m"),
            false,
            null,
            null,
            3,
            0);
    Job samples = new Job(three, P0, offsets++, 0L);
    Job two = job("n2", 3, 20);
    Job pair =
        new Job(
            new RequestSpec(
                "p2",
                "KING",
                3,
                SamplingOptions.withSeed(30),
                "m",
                null,
                List.of(),
                false,
                null,
                null,
                2,
                0),
            P0,
            offsets++,
            0L);
    s.enqueue(samples);
    s.enqueue(pair); // needs 2 slots: only 1 left, so it waits, and so does what is behind it
    s.enqueue(two);
    SlotScheduler.Preparer p = j -> readyOn(j, V1);
    assertThat(s.fill(p, 0).started()).containsExactly(samples);
    assertThat(s.active()).isEqualTo(3);
    List<Job> done = runAll(s, p);
    assertThat(done).containsExactly(samples, pair, two);
    // Sample i is the text of seed + i; a stop string ends only its own sample.
    for (int i = 0; i < 3; i++) {
      String full = FakeEngine.expected(10 + i, 6);
      Job.Sample x = samples.samples().get(i);
      int stop = full.indexOf('m');
      assertThat(x.text()).isEqualTo(stop < 0 ? full : full.substring(0, stop));
      assertThat(x.finish()).isEqualTo(stop < 0 ? Job.Finish.LENGTH : Job.Finish.STOP);
    }
    assertThat(samples.text()).isEqualTo(samples.samples().get(0).text());
    assertThat(samples.finish()).isEqualTo(samples.samples().get(0).finish());
    assertThat(pair.samples())
        .extracting(Job.Sample::text)
        .containsExactly(FakeEngine.expected(30, 3), FakeEngine.expected(31, 3));
    assertThat(engines.get(V1.key()).maxOpen).isLessThanOrEqualTo(4);
  }

  @Test
  void aFinishedRequestFreesItsSlotForTheNextWhileOthersRun() {
    Job shortJob = job("short", 2, 0);
    Job longJob = job("long", 6, 1);
    Job next = job("next", 2, 2);
    SlotScheduler s = scheduler(2, shortJob, longJob, next);
    SlotScheduler.Preparer p = j -> readyOn(j, V1);

    assertThat(s.fill(p, 0).started()).containsExactly(shortJob, longJob);
    s.step(0);
    assertThat(s.step(0).finished()).containsExactly(shortJob);
    assertThat(s.fill(p, 0).started()).containsExactly(next); // primed while "long" is mid-way
    SlotScheduler.Stepped st = s.step(0);
    assertThat(st.activeSlots()).isEqualTo(2);
    assertThat(st.charsGenerated()).isEqualTo(2);
    assertThat(longJob.steps()).isEqualTo(3);
    assertThat(next.steps()).isEqualTo(1);
    assertThat(engines.get(V1.key()).steps)
        .isEqualTo(3); // one batched step each time, not one per job
  }

  @Test
  void stopStringEndsTheRequestAndIsCutFromTheText() {
    SlotScheduler s = new SlotScheduler(1, factory, 1_000);
    Job j = job("stop", 50, 0, List.of("de", "zz"), P0); // generates "abcde..."
    s.enqueue(j);
    runAll(s, x -> readyOn(x, V1));
    assertThat(j.text()).isEqualTo("abc");
    assertThat(j.finish()).isEqualTo(Job.Finish.STOP);
    assertThat(j.steps()).isEqualTo(5);
  }

  @Test
  void jobsWaitingForTheirModelDoNotBlockOthersAndFailedOnesLeave() {
    Job waiting = job("waiting", 2, 0);
    Job failing = job("failing", 2, 0);
    Job ready = job("ready", 2, 0);
    SlotScheduler s = scheduler(2, waiting, failing, ready);
    SlotScheduler.Filled f =
        s.fill(
            j -> j == waiting ? Readiness.WAIT : j == failing ? Readiness.FAILED : readyOn(j, V1),
            0);
    assertThat(f.started()).containsExactly(ready);
    assertThat(f.failed()).containsExactly(failing);
    assertThat(s.queued()).isEqualTo(1);
    assertThat(s.fill(j -> readyOn(j, V1), 0).started()).containsExactly(waiting);
  }

  @Test
  void requestsOnAnOlderVersionFinishThereWhileNewOnesUseTheNewVersion() {
    SlotScheduler s = new SlotScheduler(4, factory, 1_000);
    Job old = job("old", 5, 0);
    s.enqueue(old);
    s.fill(j -> readyOn(j, V1), 0);
    s.step(0);
    Job fresh = job("fresh", 2, 0);
    s.enqueue(fresh);
    s.fill(j -> readyOn(j, V2), 0); // version 2 arrived meanwhile
    assertThat(s.batches()).isEqualTo(2);
    List<Job> done = runAll(s, j -> readyOn(j, V2));
    assertThat(done).containsExactly(fresh, old);
    assertThat(old.model()).isEqualTo(V1);
    assertThat(old.text()).isEqualTo(FakeEngine.expected(0, 5));
    assertThat(s.batches()).isEqualTo(1); // the old version's batch is gone once idle
  }

  @Test
  void primingBudgetLimitsPromptCharsPerFillButAlwaysStartsOne() {
    SlotScheduler s = new SlotScheduler(8, factory, 6);
    for (int i = 0; i < 5; i++) {
      s.enqueue(job("r" + i, 1, i));
    }
    // Each prompt is 4 ids: the first fill primes two (4 < 6, then 8 >= 6 stops).
    assertThat(s.fill(j -> readyOn(j, V1), 0).started()).hasSize(2);
    SlotScheduler tight = new SlotScheduler(8, factory, 1);
    tight.enqueue(job("a", 1, 0));
    tight.enqueue(job("b", 1, 0));
    assertThat(tight.fill(j -> readyOn(j, V1), 0).started()).hasSize(1);
  }

  /** A wave of new requests is primed in one call per model version, not one call per request. */
  @Test
  void queuedJobsOfOneVersionArePrimedTogether() {
    SlotScheduler s = new SlotScheduler(8, factory, 1_000);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Job j = job("w" + i, 3, i);
      jobs.add(j);
      s.enqueue(j);
    }
    Job pinned = job("old", 3, 9);
    s.enqueue(pinned);
    SlotScheduler.Preparer p = j -> readyOn(j, j == pinned ? V2 : V1);
    assertThat(s.fill(p, 0).started()).hasSize(7);
    assertThat(engines.get(V1.key()).primedTogether).containsExactly(6);
    assertThat(engines.get(V2.key()).primedTogether).containsExactly(1);
    assertThat(jobs).extracting(Job::slot).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(s.active()).isEqualTo(7);
    List<Job> done = runAll(s, p);
    assertThat(done).hasSize(7);
    for (Job j : done) {
      assertThat(j.text())
          .isEqualTo(FakeEngine.expected(j.spec().sampling().randomSeed(), j.spec().length()));
    }
  }

  @Test
  void removeHandsBackQueuedAndRunningJobsOfAPartition() {
    SlotScheduler s = new SlotScheduler(2, factory, 1_000);
    Job a = job("a", 9, 0, List.of(), P0);
    Job b = job("b", 9, 0, List.of(), P1);
    Job c = job("c", 9, 0, List.of(), P0);
    s.enqueue(a);
    s.enqueue(b);
    s.enqueue(c);
    s.fill(j -> readyOn(j, V1), 0);
    s.step(0);
    assertThat(s.remove(j -> j.source().equals(P0))).containsExactlyInAnyOrder(a, c);
    assertThat(s.active()).isEqualTo(1);
    assertThat(s.queued()).isZero();
    assertThat(runAll(s, j -> readyOn(j, V1))).containsExactly(b);
  }

  @Test
  void chunksHoldBackWhatMightStartAStopString() {
    Job j = job("chunks", 50, 0, List.of("xyz"), P0);
    j.prepare(V1, new int[] {1});
    j.append("a", 1);
    j.append("b", 2);
    assertThat(j.nextChunk()).isNull(); // the last 2 chars stay back (longest stop - 1)
    j.append("c", 3);
    assertThat(j.nextChunk()).isEqualTo(new Job.Chunk(0, "a"));
    j.append("x", 4);
    j.append("y", 5);
    assertThat(j.nextChunk()).isEqualTo(new Job.Chunk(1, "bc"));
    assertThat(j.append("z", 6)).isTrue();
    assertThat(j.nextChunk()).isNull(); // "xy" was the start of the stop string: never sent
    assertThat(j.text()).isEqualTo("abc");
    assertThat(j.firstCharNanos()).isEqualTo(1);
  }
}
