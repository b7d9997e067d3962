package io.charstream.app.client;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Sha256;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Utf8;
import io.charstream.schemas.message.CorpusChunk;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes a corpus as ordered chunks keyed by corpusId, with a fresh upload id and the SHA-256 of
 * the whole text, through an idempotent producer (so retries neither reorder nor duplicate).
 */
public final class CorpusUploader {
  /** Chunk size: well under the corpus topic's limit even when JSON escapes every character. */
  public static final int CHUNK_BYTES = 256 * 1024;

  /** What was uploaded. */
  public record Result(
      String corpusId,
      String uploadId,
      int chunks,
      long bytes,
      long chars,
      String sha256,
      Duration took) {}

  private final Map<String, Object> clientProps;
  private final Topics topics;

  public CorpusUploader(Map<String, Object> clientProps, Topics topics) {
    this.clientProps = Map.copyOf(clientProps);
    this.topics = topics;
  }

  /** Decodes strictly: a corpus that is not UTF-8 is refused, with where it breaks. */
  public static String decodeUtf8(byte[] bytes, String name) {
    try {
      return Utf8.decode(bytes);
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException(
          name
              + " is not valid UTF-8 (bad bytes near the start of the file's "
              + "unreadable part); convert it, e.g. iconv -f latin1 -t utf-8 "
              + name
              + " > corpus.txt",
          e);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(name + " is not valid UTF-8: " + e.getMessage(), e);
    }
  }

  /**
   * @param progress called with the number of chunks acknowledged so far
   */
  public Result upload(String corpusId, String text, IntConsumer progress) {
    if (text.isEmpty()) throw new IllegalArgumentException("the corpus is empty");
    long t0 = System.nanoTime();
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    String sha = Sha256.hex(utf8);
    String uploadId = UUID.randomUUID().toString();
    List<String> pieces = Chunker.split(text, CHUNK_BYTES);
    Topic<String, CorpusChunk> topic = topics.corpus();
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.producer(topic));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    int[] acked = {0};
    try (KafkaProducer<String, CorpusChunk> producer =
        new KafkaProducer<>(p, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      for (int i = 0; i < pieces.size(); i++) {
        CorpusChunk chunk =
            new CorpusChunk(
                CorpusChunk.SCHEMA_VERSION,
                corpusId,
                uploadId,
                i,
                pieces.size(),
                sha,
                pieces.get(i));
        producer.send(
            new ProducerRecord<>(topic.name(), corpusId, chunk),
            (md, e) -> {
              if (e == null) {
                synchronized (acked) {
                  progress.accept(++acked[0]);
                }
              }
            });
      }
      producer.flush();
    }
    if (acked[0] != pieces.size()) {
      throw new IllegalStateException(
          "only "
              + acked[0]
              + " of "
              + pieces.size()
              + " chunks reached Kafka; "
              + "the incomplete upload will not be trained on: run the upload again");
    }
    return new Result(
        corpusId,
        uploadId,
        pieces.size(),
        utf8.length,
        text.length(),
        sha,
        Duration.ofNanos(System.nanoTime() - t0));
  }
}
