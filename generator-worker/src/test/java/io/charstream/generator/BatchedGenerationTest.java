package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.SamplingOptions;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on the real model: continuous batching (requests joining and leaving a shared
 * batch) gives each request exactly the text it gets alone, for the same seed.
 */
class BatchedGenerationTest {

  private static LoadedModel model;

  @BeforeAll
  static void load() {
    model =
        new LoadedModel(
            "tiny",
            1,
            GenerationModel.from(SyntheticCheckpoints.of(SyntheticCheckpoints.tiny(), 5L)));
  }

  private static List<Job> jobs() {
    List<Job> jobs = new ArrayList<>();
    String[] prompts = {"KING RICHARD", "a", "To be or not", "Q", "ROMEO:\n", "The"};
    for (int i = 0; i < 14; i++) {
      SamplingOptions options = new SamplingOptions(1 + i % 4, 0.5 + 0.1 * i, 1000 + i);
      RequestSpec spec =
          new RequestSpec(
              "r" + i,
              prompts[i % prompts.length],
              5 + 7 * (i % 5),
              options,
              "tiny",
              null,
              List.of(),
              false);
      jobs.add(new Job(spec, new TopicPartition("req", i % 3), i, 0));
    }
    return jobs;
  }

  private static void run(SlotScheduler s, List<Job> jobs) {
    JobPreparer preparer = new JobPreparer(registryWith(model), 0);
    int next = 0;
    for (int guard = 0; guard < 100_000 && (next < jobs.size() || !s.idle()); guard++) {
      // Requests arrive a few at a time while others run: slots join and leave mid-way.
      if (next < jobs.size() && guard % 3 == 0) {
        s.enqueue(jobs.get(next++));
      }
      s.fill(preparer, 0);
      if (s.active() > 0) {
        s.step(0);
      }
    }
  }

  private static ModelRegistry registryWith(LoadedModel m) {
    ModelRegistry r = new ModelRegistry(2);
    r.loaded(m);
    return r;
  }

  /**
   * Several samples of one prompt (primed once, the state copied) and log-probabilities, among
   * one-sample requests joining and leaving: sample i is the text of the request alone with seed +
   * i, bit for bit; the log-probabilities cover the text exactly (stop strings cut off both), are
   * at most 0, and their top alternatives come most probable first.
   */
  @Test
  void severalSamplesAndLogprobsKeepEachTextAsGeneratedAlone() {
    List<Job> jobs = new ArrayList<>();
    String[] prompts = {"KING RICHARD", "a", "To be or not"};
    for (int i = 0; i < 9; i++) {
      SamplingOptions options = new SamplingOptions(1 + i % 3, 0.8, 2000 + i);
      int n = 1 + i % 3;
      jobs.add(
          new Job(
              new RequestSpec(
                  "m" + i,
                  prompts[i % prompts.length],
                  10 + 9 * (i % 4),
                  options,
                  "tiny",
                  null,
                  i == 5 ? List.of("e") : List.of(),
                  false,
                  null,
                  null,
                  n,
                  i % 2 == 0 ? 0 : 1 + i % 5),
              new TopicPartition("req", 0),
              i,
              0));
    }
    run(new SlotScheduler(5, LoadedModel::newStreams, 1_000), jobs);
    TextGenerator alone = new TextGenerator(model.model());
    for (Job job : jobs) {
      RequestSpec spec = job.spec();
      assertThat(job.finished()).as(job.toString()).isTrue();
      assertThat(job.samples()).hasSize(spec.n());
      for (int i = 0; i < spec.n(); i++) {
        Job.Sample x = job.samples().get(i);
        String expected = alone.generate(spec.prompt(), spec.length(), spec.sampling(i));
        if (x.finish() == Job.Finish.STOP) {
          expected = expected.substring(0, expected.indexOf("e"));
        } else {
          assertThat(x.finish()).isEqualTo(Job.Finish.LENGTH);
        }
        assertThat(x.text()).as("%s sample %d", job, i).isEqualTo(expected);
        if (spec.logprobs() == 0) {
          assertThat(x.logprobs()).isNull();
          continue;
        }
        assertThat(x.logprobs()).hasSize(x.text().length());
        for (int c = 0; c < x.text().length(); c++) {
          var lp = x.logprobs().get(c);
          assertThat(lp.text()).isEqualTo(x.text().substring(c, c + 1));
          assertThat(lp.logprob()).isLessThanOrEqualTo(0.0);
          assertThat(lp.top()).hasSize(spec.logprobs());
          for (int k = 1; k < lp.top().size(); k++) {
            assertThat(lp.top().get(k).logprob())
                .isLessThanOrEqualTo(lp.top().get(k - 1).logprob());
          }
          // The chosen character is one of the topN (of the raw logits) the sampler drew from.
          if (spec.sampling().topN() <= spec.logprobs()) {
            assertThat(lp.logprob())
                .isGreaterThanOrEqualTo(lp.top().get(spec.sampling().topN() - 1).logprob());
          }
        }
      }
      assertThat(job.text()).isEqualTo(job.samples().get(0).text());
    }
  }

  @Test
  void continuousBatchingEqualsOneAtATime() {
    List<Job> batched = jobs();
    run(new SlotScheduler(4, LoadedModel::newStreams, 1_000), batched);
    List<Job> single = jobs();
    run(new SlotScheduler(1, LoadedModel::newStreams, 1_000), single);
    TextGenerator alone = new TextGenerator(model.model());

    for (int i = 0; i < batched.size(); i++) {
      Job b = batched.get(i);
      assertThat(b.finish()).isEqualTo(Job.Finish.LENGTH);
      assertThat(b.steps()).isEqualTo(b.spec().length());
      String expected = alone.generate(b.spec().prompt(), b.spec().length(), b.spec().sampling());
      assertThat(b.text()).as("request %d batched", i).isEqualTo(expected);
      assertThat(single.get(i).text()).as("request %d at capacity 1", i).isEqualTo(expected);
    }
  }

  @Test
  void promptsWithCharactersOutsideTheVocabularyFailWithTheCharactersNamed() {
    RequestSpec spec =
        new RequestSpec(
            "x",
            "caf\u00e9 \u00e9",
            3,
            SamplingOptions.withSeed(1),
            "tiny",
            null,
            List.of(),
            false);
    Job job = new Job(spec, new TopicPartition("req", 0), 0, 0);
    assertThat(new JobPreparer(registryWith(model), 0).prepare(job))
        .isEqualTo(SlotScheduler.Readiness.FAILED);
    assertThat(job.errorKind()).isEqualTo(ErrorKind.UNKNOWN_CHARACTERS);
    assertThat(job.errorMessage()).contains("2 character(s)").contains("U+00E9").contains("x2");
  }

  @Test
  void unknownModelsAndVersionsFailAndLoadingOnesWait() {
    ModelRegistry r = registryWith(model);
    JobPreparer p = new JobPreparer(r, 0);
    Job other =
        new Job(
            new RequestSpec(
                "o", "KING", 3, SamplingOptions.withSeed(1), "other", null, List.of(), false),
            new TopicPartition("req", 0),
            0,
            0);
    assertThat(p.prepare(other)).isEqualTo(SlotScheduler.Readiness.FAILED);
    assertThat(other.errorKind()).isEqualTo(ErrorKind.UNKNOWN_MODEL);
    assertThat(other.errorMessage())
        .contains("unknown model 'other'")
        .contains("tiny (versions [1])");

    Job pinned =
        new Job(
            new RequestSpec(
                "p", "KING", 3, SamplingOptions.withSeed(1), "tiny", 2L, List.of(), false),
            new TopicPartition("req", 0),
            1,
            0);
    assertThat(p.prepare(pinned)).isEqualTo(SlotScheduler.Readiness.FAILED);
    assertThat(pinned.errorMessage()).contains("unknown version 2");
    r.loading("tiny", 2);
    assertThat(p.prepare(pinned)).isEqualTo(SlotScheduler.Readiness.WAIT);
    r.loaded(new LoadedModel("tiny", 2, model.model()));
    assertThat(p.prepare(pinned)).isEqualTo(SlotScheduler.Readiness.READY);
    assertThat(pinned.model().version()).isEqualTo(2);
  }

  @Test
  void aRequestForAModelNotSeenYetWaitsForItWithinTheGracePeriod() {
    ModelRegistry r = new ModelRegistry(2);
    JobPreparer p = new JobPreparer(r, 60_000);
    Job early =
        new Job(
            new RequestSpec(
                "e", "KING", 3, SamplingOptions.withSeed(1), "tiny", null, List.of(), false),
            new TopicPartition("req", 0),
            0,
            System.nanoTime());
    assertThat(p.prepare(early)).isEqualTo(SlotScheduler.Readiness.WAIT); // not announced yet
    r.loaded(model);
    assertThat(p.prepare(early)).isEqualTo(SlotScheduler.Readiness.READY);

    r.failed("tiny", 5, "sha256 mismatch");
    Job broken =
        new Job(
            new RequestSpec(
                "b", "KING", 3, SamplingOptions.withSeed(1), "tiny", 5L, List.of(), false),
            new TopicPartition("req", 0),
            1,
            System.nanoTime());
    assertThat(p.prepare(broken))
        .isEqualTo(SlotScheduler.Readiness.FAILED); // a failed load: no point waiting
    assertThat(broken.errorMessage()).contains("failed to load: sha256 mismatch");
  }
}
