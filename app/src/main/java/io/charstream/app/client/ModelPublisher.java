package io.charstream.app.client;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.Vocabulary;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.VocabularyMode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes a checkpoint file's weights as a checkpoint event, the way the trainer does, so the
 * serving benchmark and the tests can serve a model without running a training job.
 */
public final class ModelPublisher {
  private ModelPublisher() {}

  /**
   * Sends the weights of {@code checkpoint} as version {@code version} of {@code modelId}; waits
   * for the ack.
   */
  public static void publish(
      Map<String, Object> kafkaProps,
      Topics topics,
      String modelId,
      long version,
      Checkpoint checkpoint)
      throws ExecutionException, InterruptedException {
    byte[] bytes = checkpoint.withoutTrainingState().toBytes();
    ModelConfig c = checkpoint.modelConfig();
    Vocabulary vocab = checkpoint.vocabulary();
    CheckpointEvent event =
        new CheckpointEvent(
            CheckpointEvent.SCHEMA_VERSION,
            modelId,
            version,
            "published-" + version,
            checkpoint.metrics().map(m -> m.epoch()).orElse(0),
            0,
            true,
            false,
            System.currentTimeMillis(),
            new CheckpointEvent.Metrics(
                checkpoint.metrics().map(m -> m.trainLoss()).orElse(0.0), null),
            new CheckpointEvent.ModelSpec(
                c.vocabSize(),
                c.embeddingSize(),
                c.rnnSize(),
                c.numLayers(),
                c.dropRate(),
                c.parameterCount()),
            TrainingRequest.defaults("published-" + version, modelId, "unknown"),
            new CheckpointEvent.VocabularySpec(
                Vocabulary.KIND_REFERENCE.equals(vocab.kind())
                    ? VocabularyMode.REFERENCE
                    : VocabularyMode.LEARNED,
                vocab.codePoints()),
            bytes.length,
            sha256(bytes),
            CheckpointEvent.Weights.inline(bytes, Checkpoint.FORMAT_VERSION));
    Map<String, Object> p = new HashMap<>(kafkaProps);
    p.put(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, topics.checkpoints().settings().maxMessageBytes());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  topics.checkpoints().name(), modelId, Json.write(event, CheckpointEvent.class)))
          .get();
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
