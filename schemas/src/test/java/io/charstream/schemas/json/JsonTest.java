package io.charstream.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The strict codec: every bad record fails, and the error names the field. */
class JsonTest {
  static final String BASE = "\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\"";

  static MessageFormatException readRequest(String json) {
    return readFailure(json, TrainingRequest.class);
  }

  /** What reading {@code json} as a {@code type} throws (null if it reads). */
  static MessageFormatException readFailure(String json, Class<?> type) {
    return catchThrowableOfType(
        MessageFormatException.class, () -> Json.read(json.getBytes(StandardCharsets.UTF_8), type));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown field          | ,\"rnnSise\":64          | rnnSise   | unknown field",
        "string for an int      | ,\"rnnSize\":\"64\"      | rnnSize   | integer",
        "float for an int       | ,\"rnnSize\":64.5        | rnnSize   | integer",
        "bool for a number      | ,\"learningRate\":true   | learningRate | number",
        "number for a string    | ,\"jobId\":7             | jobId     | string",
        "zero batch size        | ,\"batchSize\":0         | batchSize | >= 1",
        "negative epochs        | ,\"numEpochs\":-3        | numEpochs | >= 1",
        "dropout of 1.5         | ,\"dropRate\":1.5        | dropRate  | [0, 1)",
        "bad vocabulary         | ,\"vocabulary\":\"greek\" | vocabulary | reference",
        "number for an enum     | ,\"vocabulary\":1        | vocabulary | ",
        "null for a string id   | ,\"jobId\":\"a b\"       | jobId     | not a valid id",
        "object for an int      | ,\"seqLen\":{}           | seqLen    | integer",
        "array for a bool       | ,\"restore\":[true]      | restore   | boolean",
        "huge int               | ,\"rnnSize\":99999999999999 | rnnSize |  ",
        "bad valSplit           | ,\"valSplit\":\"random\" | valSplit | \"tail\", \"blocks\"",
        "bad lrSchedule         | ,\"lrSchedule\":\"linear\" | lrSchedule | \"constant\", \"cosine\"",
        "bad preset             | ,\"preset\":\"fastest\"  | preset    | \"reference\", \"recommended\", \"fast\", \"large\"",
        "upper-case preset      | ,\"preset\":\"RECOMMENDED\" | preset | \"recommended\"",
        "zero finalLearningRate | ,\"finalLearningRate\":0 | finalLearningRate | > 0",
        "final above the start  | ,\"lrSchedule\":\"cosine\",\"finalLearningRate\":0.01 | finalLearningRate | learningRate",
      })
  void invalidFieldsAreNamed(String name, String extra, String field, String hint) {
    MessageFormatException e = readRequest("{" + BASE + extra + "}");
    assertThat(e).as(name).isNotNull();
    assertThat(e.kind()).isEqualTo(MessageFormatException.Kind.INVALID_FIELD);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).contains(field);
    if (hint != null) assertThat(e.getMessage()).contains(hint);
  }

  @Test
  void missingRequiredFieldIsNamed() {
    MessageFormatException e = readRequest("{\"schemaVersion\":1,\"modelId\":\"m\"}");
    assertThat(e.field()).isEqualTo("corpusId");
    assertThat(e.getMessage()).contains("required");
  }

  @Test
  void missingPrimitiveFieldIsNamed() {
    MessageFormatException e =
        readFailure(
            "{\"schemaVersion\":1,\"corpusId\":\"k\",\"uploadId\":\"u\",\"count\":1,\"sha256\":\"%s\",\"text\":\"\"}"
                .formatted("a".repeat(64)),
            io.charstream.schemas.message.CorpusChunk.class);
    assertThat(e.field()).isEqualTo("index");
    assertThat(e.getMessage()).isEqualTo("field 'index': is required but missing");
    MessageFormatException nul = readRequest("{" + BASE + ",\"rnnSize\":null}");
    assertThat(nul).isNull(); // null for an optional field means its default
  }

  @Test
  void unsupportedSchemaVersionSaysWhatToDo() {
    MessageFormatException e =
        readRequest("{\"schemaVersion\":2,\"modelId\":\"m\",\"corpusId\":\"c\"}");
    assertThat(e.field()).isEqualTo("schemaVersion");
    assertThat(e.getMessage()).contains("upgrade charstream");
  }

  @Test
  void duplicateFieldsAreRejected() {
    MessageFormatException e = readRequest("{" + BASE + ",\"rnnSize\":64,\"rnnSize\":128}");
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("rnnSize");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not json     | hello world",
        "truncated    | {\"schemaVersion\":1,\"modelId\":",
        "an array     | [1,2,3]",
        "a number     | 42",
        "trailing     | {\"schemaVersion\":1} x",
        "nan          | {\"loss\":NaN}",
      })
  void nonJsonIsNotJson(String name, String text) {
    MessageFormatException e = readRequest(text);
    assertThat(e.kind()).as(name).isEqualTo(MessageFormatException.Kind.NOT_JSON);
    assertThat(e.field()).isNull();
  }

  @Test
  void emptyAndInvalidUtf8AreNotJson() {
    assertThatThrownBy(() -> Json.read(new byte[0], TrainingRequest.class))
        .isInstanceOfSatisfying(
            MessageFormatException.class,
            e -> assertThat(e.kind()).isEqualTo(MessageFormatException.Kind.NOT_JSON))
        .hasMessageContaining("empty");
    byte[] bad =
        "{\"schemaVersion\":1,\"modelId\":\"m\u00ff\",\"corpusId\":\"c\"}"
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> Json.read(bad, TrainingRequest.class))
        .isInstanceOfSatisfying(
            MessageFormatException.class,
            e -> assertThat(e.kind()).isEqualTo(MessageFormatException.Kind.NOT_JSON))
        .hasMessageContaining("UTF-8");
  }

  @Test
  void nestedFieldsAreNamedWithTheirPath() {
    MessageFormatException e =
        catchThrowableOfType(
            MessageFormatException.class,
            () ->
                Json.read(
                    ("{\"schemaVersion\":1,\"requestId\":\"r\",\"prompt\":\"p\",\"stop\":[\"a\",7]}")
                        .getBytes(StandardCharsets.UTF_8),
                    GenerateRequest.class));
    assertThat(e.field()).isEqualTo("stop[1]");
    MessageFormatException e2 =
        catchThrowableOfType(
            MessageFormatException.class,
            () ->
                Json.read(
                    ("{\"schemaVersion\":1,\"requestId\":\"r\",\"type\":\"final\",\"sequence\":0,\"text\":\"\","
                            + "\"finishReason\":\"length\",\"timings\":{\"queueWaitMs\":1,\"totalMs\":2,\"charsPerSecond\":3,\"x\":1}}")
                        .getBytes(StandardCharsets.UTF_8),
                    GenerateResponse.class));
    assertThat(e2.field()).isEqualTo("timings.x");
  }

  @Test
  void statusVariantsNeedAKnownType() {
    MessageFormatException e =
        readFailure(
            "{\"schemaVersion\":1,\"type\":\"paused\",\"jobId\":\"j\",\"modelId\":\"m\",\"timestampMs\":1}",
            TrainingStatus.class);
    assertThat(e.kind()).isEqualTo(MessageFormatException.Kind.INVALID_FIELD);
    assertThat(e.getMessage()).contains("paused");
  }

  @Test
  void statusVariantsKnowTheirTypeAndTerminality() {
    TrainingStatus s = new TrainingStatus.Failed(1, "j", "m", 1L, "internal", "boom");
    assertThat(s.type()).isEqualTo("failed");
    assertThat(s.terminal()).isTrue();
    String json = new String(Json.write(s, TrainingStatus.class), StandardCharsets.UTF_8);
    assertThat(json).contains("\"type\":\"failed\"");
    assertThat(Json.read(json.getBytes(StandardCharsets.UTF_8), TrainingStatus.class)).isEqualTo(s);
    TrainingStatus p =
        new TrainingStatus.Progress(1, "j", "m", 1L, 1, 2, 3, 4, 5, 2.5, null, 100, 10, 1);
    assertThat(p.terminal()).isFalse();
    assertThat(p.type()).isEqualTo("progress");
  }

  @Test
  void weightsAreNeverPrintedWhole() {
    CheckpointEvent.Weights w = CheckpointEvent.Weights.inline(new byte[300_000], 1);
    assertThat(w.toString()).hasSizeLessThan(200);
    assertThat(w.bytes()).hasSize(300_000);
  }

  @Test
  void textFieldReadsAnIdFromAnInvalidRecord() {
    var tree =
        Json.readTree(
            "{\"requestId\":\"r-1\",\"length\":\"long\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(Json.textField(tree, "requestId")).isEqualTo("r-1");
    assertThat(Json.textField(tree, "length")).isEqualTo("long");
    assertThat(Json.textField(tree, "missing")).isNull();
  }
}
