package io.charstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.schemas.message.ValSplit;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every golden example validates against its JSON Schema and round-trips through its record. */
class ContractExamplesTest {
  /** Schema file base name -> the record that reads it. */
  static final Map<String, Class<?>> MESSAGES =
      Map.of(
          "corpus-chunk", CorpusChunk.class,
          "corpus-manifest", CorpusManifest.class,
          "training-request", TrainingRequest.class,
          "cancel-request", CancelRequest.class,
          "training-status", TrainingStatus.class,
          "checkpoint-event", CheckpointEvent.class,
          "generate-request", GenerateRequest.class,
          "generate-response", GenerateResponse.class);

  static final String ID_PREFIX = "https://charstream.io/schemas/";
  static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(
          SpecVersion.VersionFlag.V202012,
          b -> b.schemaMappers(m -> m.mapPrefix(ID_PREFIX, "classpath:schemas/")));
  static final ObjectMapper PLAIN = new ObjectMapper();

  static JsonSchema schema(String base) {
    return FACTORY.getSchema(SchemaLocation.of(ID_PREFIX + base + ".schema.json"));
  }

  /** The example file {@code name}, read with the contract's codec. */
  static <T> T example(String name, Class<T> type) throws IOException, URISyntaxException {
    return Json.read(Files.readAllBytes(examples().resolve(name)), type);
  }

  static Path examples() throws URISyntaxException {
    return Path.of(ContractExamplesTest.class.getResource("/schemas/examples").toURI());
  }

  static Stream<Path> examplePaths() throws IOException, URISyntaxException {
    try (Stream<Path> s = Files.list(examples())) {
      return s.sorted().collect(Collectors.toList()).stream();
    }
  }

  static String base(Path example) {
    String name = example.getFileName().toString();
    return name.substring(0, name.indexOf('.'));
  }

  @ParameterizedTest
  @MethodSource("examplePaths")
  void exampleValidatesAndRoundTrips(Path example) throws IOException {
    String base = base(example);
    assertThat(MESSAGES).as("a record for %s", example.getFileName()).containsKey(base);
    byte[] bytes = Files.readAllBytes(example);
    JsonNode tree = PLAIN.readTree(bytes);

    Set<ValidationMessage> errors = schema(base).validate(tree);
    assertThat(errors).as("schema errors of %s", example.getFileName()).isEmpty();

    Object record = Json.read(bytes, MESSAGES.get(base));
    byte[] written = writeAsMessage(record, MESSAGES.get(base));
    assertThat(Json.read(written, MESSAGES.get(base))).isEqualTo(record);
    assertThat(schema(base).validate(PLAIN.readTree(written)))
        .as("schema errors of the written record")
        .isEmpty();
    if (!example.getFileName().toString().contains(".minimal.")) {
      // Full examples spell out every field, so writing them back gives the same JSON.
      assertThat(PLAIN.readTree(written)).isEqualTo(tree);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static byte[] writeAsMessage(Object record, Class type) {
    return Json.write(record, type);
  }

  @Test
  void everyMessageHasASchemaAndAnExample() throws IOException, URISyntaxException {
    List<String> bases = examplePaths().map(ContractExamplesTest::base).distinct().toList();
    assertThat(bases).containsExactlyInAnyOrderElementsOf(MESSAGES.keySet());
    for (String base : MESSAGES.keySet()) {
      assertThat(ContractExamplesTest.class.getResource("/schemas/" + base + ".schema.json"))
          .as(base)
          .isNotNull();
    }
    // Every topic's value type is one of the documented messages.
    for (Topic<?, ?> t : Topics.defaults().all()) {
      if (t.valueSerde() instanceof io.charstream.schemas.json.JsonSerde<?> js) {
        assertThat(MESSAGES.values())
            .as("documented message type of %s", t.name())
            .contains(js.type());
      }
    }
  }

  @Test
  void minimalRequestsGetTheReferenceDefaults() throws IOException, URISyntaxException {
    TrainingRequest r = example("training-request.minimal.json", TrainingRequest.class);
    assertThat(
            List.of(
                r.seqLen(),
                r.embeddingSize(),
                r.rnnSize(),
                r.numLayers(),
                r.batchSize(),
                r.numEpochs()))
        .containsExactly(64, 32, 128, 2, 64, 32);
    assertThat(List.of(r.dropRate(), r.learningRate(), r.clipNorm()))
        .containsExactly(0.0, 0.001, 5.0);
    assertThat(r.jobId()).isNull();
    assertThat(r.seed()).isNull();
    assertThat(r.restore()).isFalse();
    assertThat(r.valSplit()).isEqualTo(ValSplit.TAIL);
    assertThat(r.lrSchedule()).isEqualTo(LrSchedule.CONSTANT);
    assertThat(r.finalLearningRate()).isNull(); // ignored under constant
    assertThat(r.preset()).isNull();
    assertThat(r.resolved()).isTrue();

    GenerateRequest g = example("generate-request.minimal.json", GenerateRequest.class);
    assertThat(g.length()).isEqualTo(1024);
    assertThat(g.topN()).isEqualTo(3);
    assertThat(g.temperature()).isEqualTo(1.0);
    assertThat(g.stop()).isEmpty();
    assertThat(g.stream()).isFalse();
  }

  @Test
  void aPresetRequestLeavesThePresetsFieldsToTheTrainer() throws IOException, URISyntaxException {
    TrainingRequest r = example("training-request.recommended.minimal.json", TrainingRequest.class);
    assertThat(r.preset()).isEqualTo(Preset.RECOMMENDED);
    assertThat(r.valSplit()).isEqualTo(ValSplit.BLOCKS);
    assertThat(List.of(r.seqLen(), r.embeddingSize(), r.numLayers(), r.numEpochs()))
        .containsExactly(64, 32, 2, 32);
    assertThat(r.rnnSize()).isNull();
    assertThat(r.dropRate()).isNull();
    assertThat(r.batchSize()).isNull();
    assertThat(r.learningRate()).isNull();
    assertThat(r.lrSchedule()).isNull();
    assertThat(r.finalLearningRate()).isNull();
    assertThat(r.resolved()).isFalse();
  }

  @Test
  void schemasRejectWhatTheRecordsReject() throws IOException {
    JsonNode unknownField =
        PLAIN.readTree("{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"rnnSise\":64}");
    JsonNode wrongType =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"rnnSize\":\"64\"}");
    JsonNode zero =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"batchSize\":0}");
    JsonNode missing = PLAIN.readTree("{\"schemaVersion\":1,\"modelId\":\"m\"}");
    JsonNode badSplit =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"valSplit\":\"random\"}");
    JsonNode badPreset =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"preset\":\"fastest\"}");
    JsonNode zeroFinal =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"finalLearningRate\":0}");
    for (JsonNode bad :
        List.of(unknownField, wrongType, zero, missing, badSplit, badPreset, zeroFinal)) {
      assertThat(schema("training-request").validate(bad)).as(bad.toString()).isNotEmpty();
    }
    JsonNode chunkWithError =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"requestId\":\"r\",\"type\":\"chunk\","
                + "\"sequence\":0,\"text\":\"x\",\"finishReason\":\"length\"}");
    assertThat(schema("generate-response").validate(chunkWithError)).isNotEmpty();
    JsonNode unknownStatus =
        PLAIN.readTree(
            "{\"schemaVersion\":1,\"type\":\"paused\",\"jobId\":\"j\","
                + "\"modelId\":\"m\",\"timestampMs\":1}");
    assertThat(schema("training-status").validate(unknownStatus)).isNotEmpty();
  }
}
