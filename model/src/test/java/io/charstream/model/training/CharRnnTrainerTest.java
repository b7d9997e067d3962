package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.Checkpoint;
import io.charstream.model.CorpusReport;
import io.charstream.model.EpochResult;
import io.charstream.model.Metrics;
import io.charstream.model.ModelConfig;
import io.charstream.model.Progress;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Tensor;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.TrainingPosition;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CharRnnTrainerTest {

  static String repeat(String unit, int times) {
    return unit.repeat(times);
  }

  /** A corpus of one short line, repeated: a small model learns it in a few epochs. */
  static final String PATTERN = repeat("abcdefgh\n", 220);

  /**
   * A one-layer model of {@code hidden} units about to train {@code epochs} on {@link #PATTERN}.
   */
  static CharRnnTrainer onThePattern(int hidden, int epochs) {
    Vocabulary vocabulary = Vocabulary.learn(PATTERN);
    return CharRnnTrainer.start(
        new ModelConfig(vocabulary.size(), 8, hidden, 1, 0.0),
        new TrainingConfig(16, 4, epochs, 0.01, 5.0, 0.1, 1L, 0),
        vocabulary,
        PATTERN);
  }

  /** Collects what the trainer reports. */
  static final class Recorder implements TrainingListener {
    final List<Progress> progress = new ArrayList<>();
    final List<EpochResult> epochs = new ArrayList<>();
    final List<Checkpoint> checkpoints = new ArrayList<>();
    CorpusReport report;

    @Override
    public void onCorpusReport(CorpusReport r) {
      report = r;
    }

    @Override
    public void onProgress(Progress p) {
      progress.add(p);
    }

    @Override
    public void onEpochEnd(EpochResult r, Checkpoint c) {
      epochs.add(r);
      checkpoints.add(c);
    }
  }

  /**
   * A loss that stops being finite ends training with an error that says it diverged (the trainer
   * worker reports it as a failed job of kind "diverged"). No request reaches it: learningRate is
   * capped at 10, and Adam at 10 with clipping keeps the loss finite; so the run resumes from a
   * checkpoint with one NaN weight.
   */
  @Test
  void aNonFiniteLossEndsTrainingWithAnErrorSayingItDiverged() {
    AtomicInteger batches = new AtomicInteger();
    Checkpoint paused =
        onThePattern(16, 2)
            .run(TrainingListener.NONE, () -> batches.getAndIncrement() >= 2)
            .checkpoint();
    Map<String, Tensor> weights = new java.util.LinkedHashMap<>(paused.weights());
    Tensor output = weights.get("2_W");
    float[] poisoned = output.data().clone();
    poisoned[3] = Float.NaN;
    weights.put("2_W", new Tensor(output.name(), output.shape(), poisoned));
    Checkpoint nan =
        new Checkpoint(
            paused.modelConfig(),
            paused.trainingConfig(),
            paused.vocabulary(),
            paused.history(),
            paused.position(),
            weights,
            paused.trainingState().orElseThrow());
    assertThatThrownBy(
            () -> CharRnnTrainer.resume(nan, PATTERN).run(TrainingListener.NONE, () -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("training diverged: the loss of epoch 1 batch 3 is NaN");
  }

  @Test
  void overfitsATinyCorpusAndThenContinuesItsPattern() {
    Recorder recorder = new Recorder();
    TrainingResult result = onThePattern(32, 8).run(recorder, () -> false);

    assertThat(result.cancelled()).isFalse();
    assertThat(recorder.epochs).hasSize(8);
    double first = recorder.epochs.get(0).trainLoss();
    double last = recorder.epochs.get(7).trainLoss();
    assertThat(first).isGreaterThan(1.0);
    assertThat(last).isLessThan(0.1);
    assertThat(recorder.epochs.get(7).valLoss()).isLessThan(0.1);
    assertThat(recorder.epochs.get(7).sample()).hasSize(TrainingSession.SAMPLE_LENGTH);
    assertThat(recorder.report.valChars()).isEqualTo(PATTERN.length() / 10);
    assertThat(recorder.report.unknownCount()).isZero();
    assertThat(recorder.progress).isNotEmpty();
    assertThat(result.checkpoint().history()).hasSize(8);

    // Greedy continuation reproduces the pattern.
    GenerationModel generation = GenerationModel.from(result.checkpoint());
    String text = new TextGenerator(generation).generate("abc", 30, new SamplingOptions(1, 1.0, 0));
    assertThat(text).isEqualTo("defgh\nabcdefgh\nabcdefgh\nabcdef");
  }

  /**
   * N steps straight == N/2 steps, checkpoint through bytes, resume, N/2 steps; across an epoch
   * end.
   */
  @Test
  void resumesExactlyFromACheckpoint() {
    String corpus = repeat("The quick brown fox jumps over the lazy dog. ", 12);
    Vocabulary vocabulary = Vocabulary.reference();
    // Dropout on, so the RNG state has to resume too.
    ModelConfig model = new ModelConfig(vocabulary.size(), 8, 16, 2, 0.2);
    TrainingConfig training = new TrainingConfig(10, 4, 2, 0.01, 0.5, 0.1, 7L, 0);

    TrainingResult straight =
        CharRnnTrainer.start(model, training, vocabulary, corpus)
            .run(TrainingListener.NONE, () -> false);

    CharRnnTrainer first = CharRnnTrainer.start(model, training, vocabulary, corpus);
    int stepsPerEpoch = first.stepsPerEpoch();
    assertThat(stepsPerEpoch).isGreaterThan(3);
    int stopAfter = stepsPerEpoch + stepsPerEpoch / 2; // in the middle of epoch 2
    AtomicInteger batches = new AtomicInteger();
    TrainingResult half =
        first.run(TrainingListener.NONE, () -> batches.getAndIncrement() >= stopAfter);
    assertThat(half.cancelled()).isTrue();
    assertThat(half.checkpoint().position())
        .isEqualTo(new TrainingPosition(1, stepsPerEpoch / 2, stopAfter));

    Checkpoint restored = Checkpoint.fromBytes(half.checkpoint().toBytes());
    TrainingResult resumed =
        CharRnnTrainer.resume(restored, corpus).run(TrainingListener.NONE, () -> false);

    assertThat(resumed.cancelled()).isFalse();
    assertThat(resumed.checkpoint().position()).isEqualTo(straight.checkpoint().position());
    assertSameWeights(resumed.checkpoint().weights(), straight.checkpoint().weights(), 1e-6);
    List<Metrics> a = resumed.checkpoint().history();
    List<Metrics> b = straight.checkpoint().history();
    assertThat(a).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(a.get(i).trainLoss()).isCloseTo(b.get(i).trainLoss(), within(1e-6));
      assertThat(a.get(i).valLoss()).isCloseTo(b.get(i).valLoss(), within(1e-6));
    }
  }

  @Test
  void reportsUnknownCharactersAndRejectsTooShortCorpora() {
    String corpus = repeat("caf\u00e9 au lait\r\n", 30);
    Vocabulary vocabulary = Vocabulary.reference();
    ModelConfig model = new ModelConfig(vocabulary.size(), 4, 8, 1, 0.0);
    TrainingConfig training = new TrainingConfig(8, 2, 1, 0.01, 5.0, 0.0, 1L, 0);
    Recorder recorder = new Recorder();
    CharRnnTrainer.start(model, training, vocabulary, corpus).run(recorder, () -> false);
    assertThat(recorder.report.unknownCount()).isEqualTo(60);
    assertThat(recorder.report.unknownCodePoints())
        .containsEntry(0xe9, 30L)
        .containsEntry(0x0d, 30L);
    assertThat(recorder.report.unknownSummary(5))
        .contains("U+00E9 '\u00e9' x30")
        .contains("U+000D x30");
    assertThat(recorder.epochs.get(0).valLoss()).isNaN();

    assertThatThrownBy(() -> CharRnnTrainer.start(model, training, vocabulary, "short"))
        .hasMessageContaining("too few for one batch");
  }

  static void assertSameWeights(
      Map<String, Tensor> actual, Map<String, Tensor> expected, double tolerance) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (String name : expected.keySet()) {
      float[] x = actual.get(name).data();
      float[] y = expected.get(name).data();
      assertThat(x.length).isEqualTo(y.length);
      for (int i = 0; i < x.length; i++) {
        assertThat((double) x[i]).as("%s[%d]", name, i).isCloseTo(y[i], within(tolerance));
      }
    }
  }
}
