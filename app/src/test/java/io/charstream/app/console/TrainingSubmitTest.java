package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The page's training form: the contract's request, checked by the contract's reader. */
class TrainingSubmitTest {
  static TrainingRequest parse(String json) {
    return TrainingSubmit.parse(HttpIo.object(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theFormsFieldsMakeARequestWithAJobIdOfTheModel() {
    TrainingRequest r =
        parse(
            "{\"modelId\":\"web\",\"corpusId\":\"shakespeare\",\"preset\":\"recommended\","
                + "\"numEpochs\":4,\"rnnSize\":64}");
    assertThat(r.modelId()).isEqualTo("web");
    assertThat(r.jobId()).matches("web-[0-9a-f]{8}");
    assertThat(r.corpusId()).isEqualTo("shakespeare");
    assertThat(r.preset()).isEqualTo(Preset.RECOMMENDED);
    assertThat(r.numEpochs()).isEqualTo(4);
    assertThat(r.rnnSize()).isEqualTo(64);
    assertThat(r.batchSize()).isNull(); // the preset fills it, in the trainer
    assertThat(parse("{\"modelId\":\"m\",\"corpusId\":\"c\",\"jobId\":\"mine\"}").jobId())
        .isEqualTo("mine");
  }

  @Test
  void aBadFieldIsA400NamingIt() {
    assertThatThrownBy(() -> parse("{\"modelId\":\"m\",\"corpusId\":\"c\",\"batchSize\":0}"))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.param()).isEqualTo("batchSize");
            });
    assertThatThrownBy(() -> parse("{\"modelId\":\"m\",\"corpusId\":\"c\",\"epochs\":3}"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.param()).isEqualTo("epochs"))
        .hasMessageContaining("unknown field 'epochs'");
    assertThatThrownBy(() -> parse("{\"corpusId\":\"c\"}"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.param()).isEqualTo("modelId"));
    assertThatThrownBy(() -> parse("{\"modelId\":\"a b\",\"corpusId\":\"c\"}"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.param()).isEqualTo("modelId"));
    assertThatThrownBy(() -> parse("{\"modelId\":\"m\",\"corpusId\":\"c\",\"preset\":\"fastest\"}"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.param()).isEqualTo("preset"));
  }
}
