package io.charstream.schemas.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Defaults, presets and the schedule fields of a training request. */
class TrainingRequestTest {

  static TrainingRequest read(String extra) {
    return Json.read(
        ("{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\"" + extra + "}")
            .getBytes(StandardCharsets.UTF_8),
        TrainingRequest.class);
  }

  /**
   * A preset's values that differ from every default, so each filled field shows where it came
   * from.
   */
  static TrainingRequest applyRecipe(TrainingRequest r) {
    return r.withPresetValues(256, 0.1, 48, 0.003, LrSchedule.COSINE, 0.00015, 24);
  }

  @Test
  void anOldRequestIsExactlyTheOldOne() {
    TrainingRequest r = read("");
    assertThat(r).isEqualTo(TrainingRequest.defaults(null, "m", "c"));
    assertThat(r.valSplit()).isEqualTo(ValSplit.TAIL);
    assertThat(r.lrSchedule()).isEqualTo(LrSchedule.CONSTANT);
    assertThat(r.finalLearningRate()).isNull();
    // What the trainer echoes: the old fields plus the two defaults, nothing else.
    assertThat(Json.writeString(r))
        .contains("\"valSplit\":\"tail\"", "\"lrSchedule\":\"constant\"")
        .doesNotContain("finalLearningRate", "preset");
    // A request with only the pre-preset fields given means the same request.
    assertThat(TrainingRequest.builder("m", "c").schemaVersion(1).build()).isEqualTo(r);
  }

  @Test
  void cosineWithoutAFinalRateDecaysToATwentieth() {
    assertThat(read(",\"lrSchedule\":\"cosine\"").finalLearningRate()).isEqualTo(0.001 / 20);
    assertThat(read(",\"lrSchedule\":\"cosine\",\"learningRate\":0.01").finalLearningRate())
        .isEqualTo(0.01 / 20);
    assertThat(read(",\"lrSchedule\":\"cosine\",\"finalLearningRate\":0.0002").finalLearningRate())
        .isEqualTo(0.0002);
    // Under constant the final rate is ignored: kept as given, not checked against learningRate.
    assertThat(read(",\"finalLearningRate\":0.5").finalLearningRate()).isEqualTo(0.5);
  }

  @Test
  void aPresetFillsOnlyWhatTheRequestLeavesOut() {
    TrainingRequest r =
        applyRecipe(read(",\"preset\":\"recommended\",\"rnnSize\":64,\"valSplit\":\"blocks\""));
    assertThat(r.rnnSize()).isEqualTo(64); // explicit wins
    assertThat(r.dropRate()).isEqualTo(0.1);
    assertThat(r.batchSize()).isEqualTo(48);
    assertThat(r.learningRate()).isEqualTo(0.003);
    assertThat(r.lrSchedule()).isEqualTo(LrSchedule.COSINE);
    assertThat(r.finalLearningRate()).isEqualTo(0.00015);
    assertThat(r.numEpochs()).isEqualTo(24);
    assertThat(r.valSplit()).isEqualTo(ValSplit.BLOCKS);
    assertThat(r.preset()).isEqualTo(Preset.RECOMMENDED);
    assertThat(r.resolved()).isTrue();
    assertThat(applyRecipe(r)).as("idempotent").isEqualTo(r);
    // The resolved request survives the trip through a status or checkpoint unchanged.
    assertThat(Json.read(Json.write(r), TrainingRequest.class)).isEqualTo(r);
  }

  @Test
  void explicitScheduleFieldsWinOverThePreset() {
    TrainingRequest constant =
        applyRecipe(read(",\"preset\":\"recommended\",\"lrSchedule\":\"constant\""));
    assertThat(constant.lrSchedule()).isEqualTo(LrSchedule.CONSTANT);
    assertThat(constant.finalLearningRate()).isNull();
    TrainingRequest ownFinal =
        applyRecipe(read(",\"preset\":\"recommended\",\"finalLearningRate\":0.001"));
    assertThat(ownFinal.finalLearningRate()).isEqualTo(0.001);
    TrainingRequest ownEpochs = applyRecipe(read(",\"preset\":\"fast\",\"numEpochs\":3"));
    assertThat(ownEpochs.numEpochs()).isEqualTo(3);
    assertThat(ownEpochs.preset()).isEqualTo(Preset.FAST);
    // A preset without its own final rate (null) leaves the cosine default: learningRate / 20.
    TrainingRequest reference =
        read(",\"preset\":\"reference\",\"lrSchedule\":\"cosine\",\"learningRate\":0.002")
            .withPresetValues(128, 0.0, 64, 0.001, LrSchedule.CONSTANT, null, 32);
    assertThat(reference.finalLearningRate()).isEqualTo(0.002 / 20);
  }

  @Test
  void aRequestWithoutAPresetIgnoresPresetValues() {
    TrainingRequest r = read(",\"rnnSize\":64");
    assertThat(applyRecipe(r)).isEqualTo(r);
  }

  @Test
  void badScheduleValuesNameTheField() {
    assertThatThrownBy(
            () ->
                TrainingRequest.builder("m", "c")
                    .learningRate(0.001)
                    .lrSchedule(LrSchedule.COSINE)
                    .finalLearningRate(0.002)
                    .build())
        .isInstanceOfSatisfying(
            InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("finalLearningRate"))
        .hasMessageContaining("learningRate = 0.001");
    assertThatThrownBy(
            () ->
                TrainingRequest.builder("m", "c")
                    .finalLearningRate(-1.0)
                    .preset(Preset.RECOMMENDED)
                    .build())
        .isInstanceOfSatisfying(
            InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("finalLearningRate"));
  }
}
