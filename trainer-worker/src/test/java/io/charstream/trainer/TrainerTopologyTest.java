package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trainer's Streams topology (the same {@link TrainerTopology#build} the worker runs), without
 * a broker.
 */
class TrainerTopologyTest {
  final Topics topics = Topics.defaults();
  TopologyTestDriver driver;
  TestInputTopic<byte[], byte[]> corpus;
  TestOutputTopic<String, CorpusManifest> corpora;
  TestOutputTopic<byte[], byte[]> dlq;
  final List<String> deadLettered = new java.util.ArrayList<>(); // what the worker's meters see

  @BeforeEach
  void setUp() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(TrainerTopology.build(topics, "w1", deadLettered::add), p);
    corpus =
        driver.createInputTopic(
            topics.corpus().name(), new ByteArraySerializer(), new ByteArraySerializer());
    corpora =
        driver.createOutputTopic(
            topics.corpora().name(),
            new StringDeserializer(),
            topics.corpora().valueSerde().deserializer());
    dlq =
        driver.createOutputTopic(
            topics.deadLetter(topics.corpus()).name(),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void chunksBecomeManifestsOnTheCorporaTopic() {
    String sha = "c".repeat(64);
    corpus.pipeInput(bytes("k"), Json.write(new CorpusChunk(1, "k", "u1", 0, 2, sha, "ab")));
    corpus.pipeInput(bytes("k"), Json.write(new CorpusChunk(1, "k", "u1", 1, 2, sha, "cd")));
    List<CorpusManifest> out = corpora.readValuesToList();
    assertThat(out).hasSize(2);
    assertThat(out.get(0).current()).isNull();
    assertThat(out.get(1).current().uploadId()).isEqualTo("u1");
    assertThat(out.get(1).current().firstOffset()).isEqualTo(0);
    assertThat(out.get(1).current().lastOffset()).isEqualTo(1);
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(deadLettered).isEmpty();
  }

  @Test
  void unreadableOrMiskeyedChunksAreDeadLettered() {
    corpus.pipeInput(bytes("k"), bytes("not json at all"));
    corpus.pipeInput(bytes("k"), bytes("{\"schemaVersion\":1,\"corpusId\":\"k\"}"));
    corpus.pipeInput(
        bytes("other"), Json.write(new CorpusChunk(1, "k", "u1", 0, 1, "c".repeat(64), "x")));
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(3);
    assertThat(dead)
        .extracting(r -> DeadLetters.header(r.headers(), DeadLetters.ERROR_KIND))
        .containsExactly("not-json", "invalid-field", "wrong-key");
    assertThat(deadLettered).containsExactly("not-json", "invalid-field", "wrong-key");
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8))
        .isEqualTo("not json at all");
    assertThat(DeadLetters.header(dead.get(1).headers(), DeadLetters.ERROR_MESSAGE))
        .contains("is required but missing");
    assertThat(DeadLetters.header(dead.get(2).headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("2");
    assertThat(DeadLetters.header(dead.get(2).headers(), DeadLetters.WORKER)).isEqualTo("w1");
    assertThat(corpora.isEmpty()).isTrue();
  }

  @Test
  void globalTablesHoldTheLatestStatusOfEachJob() {
    TestInputTopic<String, byte[]> status =
        driver.createInputTopic(
            topics.trainingStatus().name(), new StringSerializer(), new ByteArraySerializer());
    status.pipeInput(
        "j1",
        Json.write(
            new TrainingStatus.Failed(1, "j1", "m", 1, "internal", "x"), TrainingStatus.class));
    status.pipeInput("j2", bytes("garbage"));
    var store = driver.<String, byte[]>getKeyValueStore(TrainerTopology.JOBS_STORE);
    assertThat(Json.read(store.get("j1"), TrainingStatus.class).terminal()).isTrue();
    assertThat(store.get("j2")).isNotNull(); // kept as bytes; JobTables ignores what it cannot read
  }
}
