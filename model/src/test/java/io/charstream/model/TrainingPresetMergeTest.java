package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.TrainingConfig.LearningRateSchedule;
import org.junit.jupiter.api.Test;

/** The one preset merge (train's flags and the trainer's requests) and the config builder. */
class TrainingPresetMergeTest {

  private static final TrainingPreset.Explicit NOTHING =
      new TrainingPreset.Explicit(null, null, null, null, null, null, null);

  @Test
  void aPresetFillsWhatIsNotGiven() {
    TrainingPreset.Merged m = TrainingPreset.RECOMMENDED.merge(NOTHING);
    assertThat(m)
        .isEqualTo(
            new TrainingPreset.Merged(
                256, 0.05, 64, 0.003, LearningRateSchedule.COSINE, 0.00015, 32));
    TrainingPreset.Merged reference = TrainingPreset.REFERENCE.merge(NOTHING);
    assertThat(reference)
        .isEqualTo(
            new TrainingPreset.Merged(
                128, 0.0, 64, 0.001, LearningRateSchedule.CONSTANT, null, 32));
  }

  @Test
  void explicitValuesWin() {
    TrainingPreset.Merged m =
        TrainingPreset.RECOMMENDED.merge(
            new TrainingPreset.Explicit(64, 0.2, 32, 0.01, null, 0.0005, 3));
    assertThat(m)
        .isEqualTo(
            new TrainingPreset.Merged(64, 0.2, 32, 0.01, LearningRateSchedule.COSINE, 0.0005, 3));
  }

  @Test
  void thePresetsFinalRateAppliesOnlyUnderItsOwnCosine() {
    TrainingPreset.Explicit constant =
        new TrainingPreset.Explicit(
            null, null, null, null, LearningRateSchedule.CONSTANT, null, null);
    assertThat(TrainingPreset.RECOMMENDED.merge(constant).finalLearningRate()).isNull();
    TrainingPreset.Explicit cosine =
        new TrainingPreset.Explicit(
            null, null, null, null, LearningRateSchedule.COSINE, null, null);
    // The reference preset has no final rate of its own: the caller's default (rate / 20) applies.
    assertThat(TrainingPreset.REFERENCE.merge(cosine).finalLearningRate()).isNull();
  }

  @Test
  void theBuilderStartsFromTheReferenceDefaultsAndNamesEveryField() {
    assertThat(TrainingConfig.builder().build())
        .isEqualTo(
            new TrainingConfig(
                TrainingConfig.DEFAULT_SEQ_LEN,
                TrainingConfig.DEFAULT_BATCH_SIZE,
                TrainingConfig.DEFAULT_NUM_EPOCHS,
                TrainingConfig.DEFAULT_LEARNING_RATE,
                TrainingConfig.DEFAULT_CLIP_NORM,
                TrainingConfig.DEFAULT_VAL_FRACTION,
                TrainingConfig.DEFAULT_SEED,
                0));
    TrainingConfig c =
        TrainingConfig.builder()
            .seqLen(100)
            .batchSize(32)
            .numEpochs(3)
            .learningRate(0.002)
            .clipNorm(1.0)
            .valFraction(0.1)
            .seed(7)
            .checkpointEverySteps(5)
            .valSplit(TrainingConfig.ValidationSplit.BLOCKS)
            .lrSchedule(LearningRateSchedule.COSINE)
            .finalLearningRate(0.0001)
            .build();
    assertThat(c)
        .isEqualTo(
            new TrainingConfig(
                100,
                32,
                3,
                0.002,
                1.0,
                0.1,
                7,
                5,
                TrainingConfig.ValidationSplit.BLOCKS,
                LearningRateSchedule.COSINE,
                0.0001));
    assertThat(c.toBuilder().build()).isEqualTo(c);
  }
}
