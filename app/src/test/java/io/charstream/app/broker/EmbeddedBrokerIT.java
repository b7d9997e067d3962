package io.charstream.app.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker is a real Kafka: topics with their configs, groups, transactions, big
 * records, persistence.
 */
class EmbeddedBrokerIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @Test
  void createsEveryTopicWithItsConfigs() throws Exception {
    Topics topics = KAFKA.broker().topics();
    try (Admin admin = KAFKA.broker().admin()) {
      assertThat(admin.listTopics().names().get())
          .containsAll(topics.all().stream().map(Topic::name).toList());
      for (Topic<?, ?> t : topics.all()) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t.name());
        Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
        t.settings()
            .configs()
            .forEach((k, v) -> assertThat(c.get(k).value()).as("%s %s", t.name(), k).isEqualTo(v));
        assertThat(
                admin
                    .describeTopics(List.of(t.name()))
                    .allTopicNames()
                    .get()
                    .get(t.name())
                    .partitions())
            .hasSize(t.settings().partitions());
      }
    }
  }

  @Test
  void consumerGroupsAndTransactionsWorkOnOneNode() throws Exception {
    Topics topics = KAFKA.newTopics();
    Topic<String, TrainingRequest> t = topics.trainingRequests();
    Map<String, Object> pp = KAFKA.clientProps();
    pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-tx-" + topics.prefix());
    try (KafkaProducer<String, TrainingRequest> p =
        new KafkaProducer<>(pp, t.keySerde().serializer(), t.valueSerde().serializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>(t.name(), "m1", TrainingRequest.defaults("j1", "m1", "c1")));
      p.commitTransaction();
    }
    Map<String, Object> cp = KAFKA.clientProps();
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, "it-group-" + topics.prefix());
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, TrainingRequest> c =
        new KafkaConsumer<>(cp, t.keySerde().deserializer(), t.valueSerde().deserializer())) {
      c.subscribe(List.of(t.name()));
      ConsumerRecord<String, TrainingRequest> got = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (got == null && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, TrainingRequest> r : c.poll(Duration.ofMillis(200))) got = r;
      }
      assertThat(got).as("the committed record reaches a group consumer").isNotNull();
      assertThat(got.value().jobId()).isEqualTo("j1");
      c.commitSync(
          Map.of(
              new TopicPartition(got.topic(), got.partition()),
              new OffsetAndMetadata(got.offset() + 1)));
    }
  }

  @Test
  void checkpointSizedRecordsRoundTripWithMatchingClientLimits() {
    Topics topics = KAFKA.newTopics();
    Topic<String, CheckpointEvent> t = topics.checkpoints();
    byte[] weights = new byte[5 * 1024 * 1024]; // more than the 1 MB defaults of broker and clients
    new Random(1).nextBytes(weights);
    CheckpointEvent event =
        new CheckpointEvent(
            1,
            "m",
            1,
            "j",
            1,
            10,
            false,
            false,
            1L,
            new CheckpointEvent.Metrics(2.0, null),
            new CheckpointEvent.ModelSpec(98, 32, 128, 2, 0.0, 229794),
            TrainingRequest.defaults("j", "m", "c"),
            new CheckpointEvent.VocabularySpec(
                io.charstream.schemas.message.VocabularyMode.REFERENCE, List.of(65, 66)),
            weights.length,
            "0".repeat(64),
            CheckpointEvent.Weights.inline(weights, 1));
    Map<String, Object> pp = KAFKA.clientProps();
    pp.putAll(ClientSizes.producer(t));
    try (KafkaProducer<String, CheckpointEvent> p =
        new KafkaProducer<>(pp, t.keySerde().serializer(), t.valueSerde().serializer())) {
      p.send(new ProducerRecord<>(t.name(), "m", event)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    try (TopicReader<String, CheckpointEvent> reader = new TopicReader<>(KAFKA.clientProps(), t)) {
      CheckpointEvent got =
          reader.await(Duration.ofSeconds(30), "the 5 MB checkpoint", r -> true).value();
      assertThat(got.weights().bytes()).isEqualTo(weights);
    }
  }

  @Test
  void topicsRejectUnknownNamesInsteadOfAutoCreating() {
    Map<String, Object> pp = KAFKA.clientProps();
    pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000);
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      assertThatThrownBy(
              () -> p.send(new ProducerRecord<>("charstream.trainng-requests", "k", "v")).get())
          .hasMessageContaining("charstream.trainng-requests");
    }
  }

  @Test
  void dataSurvivesARestartOnTheSameDirectory(@TempDir Path dir) throws Exception {
    Topics topics = Topics.defaults();
    String topic = topics.trainingRequests().name();
    int port;
    try (EmbeddedBroker b =
        EmbeddedBroker.start(new EmbeddedBroker.Options(0, dir, topics, Map.of()))) {
      port = b.port();
      Map<String, Object> pp =
          new HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers()));
      try (KafkaProducer<String, String> p =
          new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
        p.send(new ProducerRecord<>(topic, 0, "k", "kept")).get();
      }
    }
    try (EmbeddedBroker b =
        EmbeddedBroker.start(new EmbeddedBroker.Options(port, dir, topics, Map.of()))) {
      Map<String, Object> cp =
          new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers()));
      try (KafkaConsumer<String, String> c =
          new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        TopicPartition tp = new TopicPartition(topic, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        String value = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (value == null && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) value = r.value();
        }
        assertThat(value).isEqualTo("kept");
      }
    }
  }
}
