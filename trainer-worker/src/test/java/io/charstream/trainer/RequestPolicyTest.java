package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.schemas.message.TrainingRequest;
import org.junit.jupiter.api.Test;

class RequestPolicyTest {
  static final TrainerConfig.Limits LIMITS = new TrainerConfig.Limits(5_000_000, 4096, 4096, 10_000, 1 << 28,
      200_000_000);
  final RequestPolicy policy = new RequestPolicy(LIMITS);

  static TrainingRequest request(Integer rnnSize, Integer batchSize, Integer seqLen) {
    return new TrainingRequest(1, "j", "m", "c", seqLen, null, rnnSize, null, null, null, null, batchSize, null, null,
        null, null, null);
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
    assertThat(TrainingRequest.DEFAULT_EMBEDDING_SIZE).isEqualTo(ModelConfig.DEFAULT_EMBEDDING_SIZE);
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
  void aCorpusSmallerThanOneBatchIsRejected() {
    assertThatThrownBy(() -> policy.trainingConfig(request(null, null, null).withSeed(1), 4000, 0))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.field()).isEqualTo("batchSize"))
        .hasMessageContaining("fewer than one batch");
  }

  @Test
  void derivedIdsAndSeedsAreStableAndValid() {
    String id = RequestPolicy.derivedJobId("m".repeat(128), 5, 123_456_789L);
    assertThat(id).hasSizeLessThanOrEqualTo(128).endsWith("-p5-o123456789");
    assertThat(RequestPolicy.derivedSeed("job-1")).isEqualTo(RequestPolicy.derivedSeed("job-1"))
        .isNotEqualTo(RequestPolicy.derivedSeed("job-2")).isNotNegative();
    TrainingRequest r = RequestPolicy.effective(TrainingRequest.defaults(null, "m", "c"), 3, 9);
    assertThat(r.jobId()).isEqualTo("m-p3-o9");
    assertThat(r.seed()).isEqualTo(RequestPolicy.derivedSeed("m-p3-o9"));
    TrainingRequest explicit = RequestPolicy.effective(TrainingRequest.defaults("mine", "m", "c").withSeed(5), 3, 9);
    assertThat(explicit.jobId()).isEqualTo("mine");
    assertThat(explicit.seed()).isEqualTo(5);
  }

  @Test
  void theConfigTableDocumentsEveryKey() {
    String table = io.charstream.schemas.config.EnvConfig.markdownTable(TrainerConfig.DEF);
    for (String key : TrainerConfig.DEF.names()) {
      assertThat(table).contains("`" + key + "`");
    }
    assertThat(TrainerConfig.DEF.configKeys().values()).allSatisfy(k -> {
      assertThat(k.documentation).isNotBlank();
      assertThat(k.hasDefault()).isTrue();
    });
  }
}
