package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingPreset;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.ValSplit;
import io.charstream.trainer.request.EffectiveRequest;
import io.charstream.trainer.request.Rejection;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RequestPolicyTest {
  static final TrainerConfig.Limits LIMITS =
      new TrainerConfig.Limits(5_000_000, 4096, 4096, 10_000, 1 << 28, 200_000_000);
  final RequestPolicy policy = new RequestPolicy(LIMITS, Long.MAX_VALUE);

  static TrainingRequest request(Integer rnnSize, Integer batchSize, Integer seqLen) {
    return TrainingRequest.builder("m", "c")
        .jobId("j")
        .seqLen(seqLen)
        .rnnSize(rnnSize)
        .batchSize(batchSize)
        .build();
  }

  @Test
  void theContractsDefaultsAreTheEnginesDefaults() {
    TrainingConfig t = TrainingConfig.defaults();
    assertThat(TrainingRequest.DEFAULT_SEQ_LEN).isEqualTo(t.seqLen());
    assertThat(TrainingRequest.DEFAULT_BATCH_SIZE).isEqualTo(t.batchSize());
    assertThat(TrainingRequest.DEFAULT_NUM_EPOCHS).isEqualTo(t.numEpochs());
    assertThat(TrainingRequest.DEFAULT_LEARNING_RATE).isEqualTo(t.learningRate());
    assertThat(TrainingRequest.DEFAULT_CLIP_NORM).isEqualTo(t.clipNorm());
    assertThat(TrainingRequest.DEFAULT_VAL_FRACTION).isEqualTo(t.valFraction());
    assertThat(TrainingRequest.DEFAULT_EMBEDDING_SIZE)
        .isEqualTo(ModelConfig.DEFAULT_EMBEDDING_SIZE);
    assertThat(TrainingRequest.DEFAULT_RNN_SIZE).isEqualTo(ModelConfig.DEFAULT_RNN_SIZE);
    assertThat(TrainingRequest.DEFAULT_NUM_LAYERS).isEqualTo(ModelConfig.DEFAULT_NUM_LAYERS);
    assertThat(TrainingRequest.DEFAULT_DROP_RATE).isEqualTo(ModelConfig.DEFAULT_DROP_RATE);
  }

  @Test
  void theReferenceSpecIsAccepted() throws Rejection {
    ModelConfig m = policy.modelConfig(request(null, null, null), 98);
    assertThat(m.parameterCount()).isEqualTo(229_794);
    TrainingConfig t = policy.trainingConfig(request(null, null, null).withSeed(1), 1_115_394, 0);
    assertThat(t.batchSize()).isEqualTo(64);
  }

  @Test
  void absurdSizesAreRejectedNamingTheField() {
    assertThatThrownBy(() -> policy.modelConfig(request(2000, null, null), 98))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("rnnSize"))
        .hasMessageContaining("max.parameters");
    assertThatThrownBy(() -> policy.modelConfig(request(20_000, null, null), 98))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("rnnSize"));
    assertThatThrownBy(() -> policy.checkSizes(request(null, 100_000, null)))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"));
    assertThatThrownBy(() -> policy.modelConfig(request(512, 4096, 4096), 98))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"))
        .hasMessageContaining("activations");
  }

  @Test
  void aModelThatWouldNotFitInTheTrainersHeapIsRejectedNamingTheHeap() throws Rejection {
    // The trainer started with -Xmx384m and one job: 256 MB for the job.
    long perJob = RequestPolicy.heapPerJob(384L << 20, 1);
    assertThat(perJob).isEqualTo(256L << 20);
    assertThat(RequestPolicy.heapPerJob(1L << 30, 2)).isEqualTo(448L << 20);
    RequestPolicy small = new RequestPolicy(LIMITS, perJob);
    // The reference spec fits; the large preset's network (2 x LSTM 448) does not.
    small.modelConfig(effective(scheduled(Preset.REFERENCE, null, null, null, null, null)), 98);
    TrainingRequest large = effective(scheduled(Preset.LARGE, null, null, null, null, null));
    assertThatThrownBy(() -> small.modelConfig(large, 98))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("rnnSize"))
        .hasMessageContaining("MB of Java heap")
        .hasMessageContaining("256 MB this trainer has per job")
        .hasMessageContaining("-Xmx");
    // With a heap the size the large preset needs, it passes.
    long need =
        io.charstream.model.TrainingMemory.heapBytes(
            policy.modelConfig(large, 98), policy.trainingConfig(large, 1_115_394, 0));
    new RequestPolicy(LIMITS, need).modelConfig(large, 98);
  }

  @Test
  void aWideEmbeddingCountsInTheActivationLimit() {
    // 2.9 M parameters; 131,072 characters a step x (8192 + 6 x 64 + 98) = 1.14 G floats. Without
    // the embedding in the proxy it would be 63 M, under the 200 M limit.
    TrainingRequest wide =
        TrainingRequest.builder("m", "c")
            .jobId("j")
            .seqLen(512)
            .embeddingSize(8192)
            .rnnSize(64)
            .numLayers(1)
            .batchSize(256)
            .build();
    assertThatThrownBy(() -> policy.modelConfig(wide, 98))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"))
        .hasMessageContaining("1,136,918,528 activations")
        .hasMessageContaining("embeddingSize");
  }

  @Test
  void aCorpusSmallerThanOneBatchIsRejected() {
    assertThatThrownBy(() -> policy.trainingConfig(request(null, null, null).withSeed(1), 4000, 0))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"))
        .hasMessageContaining("fewer than one batch");
  }

  @Test
  void derivedIdsAndSeedsAreStableAndValid() throws Rejection {
    String id = EffectiveRequest.derivedJobId("m".repeat(128), 5, 123_456_789L);
    assertThat(id).hasSizeLessThanOrEqualTo(128).endsWith("-p5-o123456789");
    assertThat(EffectiveRequest.derivedSeed("job-1"))
        .isEqualTo(EffectiveRequest.derivedSeed("job-1"))
        .isNotEqualTo(EffectiveRequest.derivedSeed("job-2"))
        .isNotNegative();
    TrainingRequest r = EffectiveRequest.of(TrainingRequest.defaults(null, "m", "c"), 3, 9);
    assertThat(r.jobId()).isEqualTo("m-p3-o9");
    assertThat(r.seed()).isEqualTo(EffectiveRequest.derivedSeed("m-p3-o9"));
    TrainingRequest explicit =
        EffectiveRequest.of(TrainingRequest.defaults("mine", "m", "c").withSeed(5), 3, 9);
    assertThat(explicit.jobId()).isEqualTo("mine");
    assertThat(explicit.seed()).isEqualTo(5);
  }

  @Test
  void theConfigTableDocumentsEveryKey() {
    String table = io.charstream.schemas.config.EnvConfig.markdownTable(TrainerConfig.DEF);
    for (String key : TrainerConfig.DEF.names()) {
      assertThat(table).contains("`" + key + "`");
    }
    assertThat(TrainerConfig.DEF.configKeys().values())
        .allSatisfy(
            k -> {
              assertThat(k.documentation).isNotBlank();
              assertThat(k.hasDefault()).isTrue();
            });
  }

  static final long SHAKESPEARE = 1_115_394;

  /** A request with only the new fields (and a job id and seed) set. */
  static TrainingRequest scheduled(
      Preset preset,
      ValSplit split,
      LrSchedule schedule,
      Double finalRate,
      Integer rnnSize,
      Double learningRate) {
    return TrainingRequest.builder("m", "c")
        .jobId("j")
        .rnnSize(rnnSize)
        .learningRate(learningRate)
        .seed(7L)
        .valSplit(split)
        .lrSchedule(schedule)
        .finalLearningRate(finalRate)
        .preset(preset)
        .build();
  }

  static TrainingRequest effective(TrainingRequest r) throws Rejection {
    return EffectiveRequest.of(r, 0, 0);
  }

  @Test
  void anOldRequestTrainsTheTailAtAConstantRateExactlyAsBefore() throws Rejection {
    TrainingRequest old = effective(request(null, null, null).withSeed(7));
    TrainingConfig t = policy.trainingConfig(old, SHAKESPEARE, 25);
    // The engine's reference constructor (the one the trainer called before these fields existed).
    assertThat(t).isEqualTo(new TrainingConfig(64, 64, 32, 0.001, 5.0, 0.05, 7L, 25));
    assertThat(t.valSplit()).isEqualTo(TrainingConfig.ValidationSplit.TAIL);
    assertThat(t.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.CONSTANT);
    assertThat(t.finalLearningRate()).isEqualTo(t.learningRate());
    assertThat(policy.modelConfig(old, 98)).isEqualTo(new ModelConfig(98, 32, 128, 2, 0.0));
    // A final rate under constant is ignored, not rejected, even above learningRate.
    TrainingRequest ignored =
        effective(scheduled(null, null, LrSchedule.CONSTANT, 0.5, null, null));
    assertThat(policy.trainingConfig(ignored, SHAKESPEARE, 0).finalLearningRate()).isEqualTo(0.001);
  }

  @Test
  void theRecommendedPresetTrainsThePresetsConfig() throws Rejection {
    TrainingRequest r = effective(scheduled(Preset.RECOMMENDED, null, null, null, null, null));
    assertThat(r.resolved()).isTrue();
    assertThat(policy.modelConfig(r, 98)).isEqualTo(TrainingPreset.RECOMMENDED.model(98));
    assertThat(policy.trainingConfig(r, SHAKESPEARE, 0))
        .isEqualTo(
            TrainingPreset.RECOMMENDED.training(0.05, TrainingConfig.ValidationSplit.TAIL, 7L));
    assertThat(r.finalLearningRate()).isEqualTo(0.00015);
    // BLOCKS comes through too.
    TrainingRequest blocks =
        effective(scheduled(Preset.RECOMMENDED, ValSplit.BLOCKS, null, null, null, null));
    assertThat(policy.trainingConfig(blocks, SHAKESPEARE, 0))
        .isEqualTo(
            TrainingPreset.RECOMMENDED.training(0.05, TrainingConfig.ValidationSplit.BLOCKS, 7L));
  }

  @Test
  void theReferencePresetIsTheRequestWithoutAPreset() throws Rejection {
    TrainingRequest none = effective(scheduled(null, null, null, null, null, null));
    TrainingRequest reference =
        effective(scheduled(Preset.REFERENCE, null, null, null, null, null));
    assertThat(policy.modelConfig(reference, 98))
        .isEqualTo(policy.modelConfig(none, 98))
        .isEqualTo(TrainingPreset.REFERENCE.model(98));
    assertThat(policy.trainingConfig(reference, SHAKESPEARE, 0))
        .isEqualTo(policy.trainingConfig(none, SHAKESPEARE, 0));
    assertThat(reference.finalLearningRate()).isNull();
  }

  @Test
  void explicitFieldsOverrideThePreset() throws Rejection {
    TrainingRequest r =
        effective(
            scheduled(Preset.RECOMMENDED, ValSplit.BLOCKS, LrSchedule.CONSTANT, null, 64, 0.01));
    ModelConfig m = policy.modelConfig(r, 98);
    assertThat(m.rnnSize()).isEqualTo(64);
    assertThat(m.dropRate()).isEqualTo(TrainingPreset.RECOMMENDED.dropRate());
    TrainingConfig t = policy.trainingConfig(r, SHAKESPEARE, 0);
    assertThat(t.learningRate()).isEqualTo(0.01);
    assertThat(t.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.CONSTANT);
    assertThat(t.valSplit()).isEqualTo(TrainingConfig.ValidationSplit.BLOCKS);
    assertThat(t.batchSize()).isEqualTo(TrainingPreset.RECOMMENDED.batchSize());
    // Cosine on the reference preset: the final rate defaults to a twentieth of the learning rate.
    TrainingRequest cosine =
        effective(scheduled(Preset.REFERENCE, null, LrSchedule.COSINE, null, null, null));
    assertThat(policy.trainingConfig(cosine, SHAKESPEARE, 0).finalLearningRate())
        .isEqualTo(0.001 / 20);
    TrainingRequest own = effective(scheduled(Preset.RECOMMENDED, null, null, 0.001, null, null));
    assertThat(policy.trainingConfig(own, SHAKESPEARE, 0).finalLearningRate()).isEqualTo(0.001);
  }

  @Test
  void badScheduleValuesAreRejectedNamingTheField() throws Rejection {
    // Above the preset's learningRate (0.003): caught when the preset is applied.
    assertThatThrownBy(() -> effective(scheduled(Preset.RECOMMENDED, null, null, 0.01, null, null)))
        .isInstanceOfSatisfying(
            Rejection.class, r -> assertThat(r.field()).isEqualTo("finalLearningRate"))
        .hasMessageContaining("learningRate = 0.003")
        .hasMessageContaining("preset recommended");
    // The preset's own final rate (0.00015) above an explicit learningRate: the engine's check
    // names it.
    assertThatThrownBy(
            () ->
                policy.trainingConfig(
                    effective(scheduled(Preset.RECOMMENDED, null, null, null, null, 0.0001)),
                    SHAKESPEARE,
                    0))
        .isInstanceOfSatisfying(
            Rejection.class, r -> assertThat(r.field()).isEqualTo("finalLearningRate"));
    // BLOCKS loses characters to the blocks' rounding: 4,340 characters keep 4,123 after a 5% tail,
    // one
    // batch of 64 x 64 (+1); cut into 64 blocks of 67 with 3 held out of each they keep only 4,096.
    TrainingRequest blocks = effective(scheduled(null, ValSplit.BLOCKS, null, null, null, null));
    TrainingRequest tail = effective(scheduled(null, ValSplit.TAIL, null, null, null, null));
    assertThat(policy.trainingConfig(tail, 4_340, 0).batchSize()).isEqualTo(64);
    assertThatThrownBy(() -> policy.trainingConfig(blocks, 4_340, 0))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"))
        .hasMessageContaining("valSplit blocks");
  }

  @Test
  void trainingCharsCountsAsTheEngineSplits() {
    // floor(10,007 x 0.9): the last 1,001 held out, as nanoGPT's data[:int(n*0.9)].
    assertThat(RequestPolicy.trainingChars(10_007, 0.1, TrainingConfig.ValidationSplit.TAIL, 8))
        .isEqualTo(9_006);
    assertThat(RequestPolicy.trainingChars(1_115_394, 0.1, TrainingConfig.ValidationSplit.TAIL, 64))
        .isEqualTo(1_003_854);
    // 8 blocks of 1,250 (7 characters unused), 125 held out of each.
    assertThat(RequestPolicy.trainingChars(10_007, 0.1, TrainingConfig.ValidationSplit.BLOCKS, 8))
        .isEqualTo(9_000);
    assertThat(RequestPolicy.trainingChars(10_007, 0.0, TrainingConfig.ValidationSplit.BLOCKS, 8))
        .isEqualTo(10_007);
  }

  @Test
  void theContractsEnumsAreTheEnginesAndPresetsOnlySetPresetFields() {
    assertThat(names(Preset.values())).isEqualTo(names(TrainingPreset.values()));
    assertThat(names(ValSplit.values())).isEqualTo(names(TrainingConfig.ValidationSplit.values()));
    assertThat(names(LrSchedule.values()))
        .isEqualTo(names(TrainingConfig.LearningRateSchedule.values()));
    for (TrainingPreset p : TrainingPreset.values()) {
      // What a preset does not fill in a request must be the request's default.
      ModelConfig m = p.model(98);
      TrainingConfig t = p.training(0.05, TrainingConfig.ValidationSplit.TAIL, 1L);
      assertThat(m.embeddingSize()).as(p.flag()).isEqualTo(TrainingRequest.DEFAULT_EMBEDDING_SIZE);
      assertThat(m.numLayers()).as(p.flag()).isEqualTo(TrainingRequest.DEFAULT_NUM_LAYERS);
      assertThat(t.seqLen()).as(p.flag()).isEqualTo(TrainingRequest.DEFAULT_SEQ_LEN);
      assertThat(t.clipNorm()).as(p.flag()).isEqualTo(TrainingRequest.DEFAULT_CLIP_NORM);
      assertThat(t.checkpointEverySteps()).as(p.flag()).isZero();
    }
  }

  static java.util.List<String> names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).toList();
  }

  @Test
  void theRequestsDefaultFinalRateIsTheEngines() {
    // schemas/ may not depend on the engine: the contract's constant must agree with it.
    assertThat(TrainingRequest.FINAL_LEARNING_RATE_DIVISOR)
        .isEqualTo(TrainingConfig.DEFAULT_FINAL_LEARNING_RATE_DIVISOR);
  }
}
