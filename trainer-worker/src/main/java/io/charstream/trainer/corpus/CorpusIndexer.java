package io.charstream.trainer.corpus;

import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams processor of the corpus topic: keeps each corpus's {@link CorpusManifest} in a
 * state store and forwards every change to the corpora topic; a chunk that cannot be read (not
 * JSON, wrong fields, key not its corpusId) goes to the dead-letter topic with the reason.
 */
public final class CorpusIndexer implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(CorpusIndexer.class);

  private final String storeName;
  private final String manifestSink;
  private final String deadLetterSink;
  private final String workerId;
  private final int deadLetterMaxBytes;
  private final java.util.function.Consumer<String> deadLettered;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, CorpusManifest> store;

  /**
   * @param deadLetterMaxBytes the largest record the dead-letter topic (and the Streams producer)
   *     takes
   * @param deadLettered told the kind of each chunk sent to the dead-letter topic (metrics)
   */
  public CorpusIndexer(
      String storeName,
      String manifestSink,
      String deadLetterSink,
      String workerId,
      int deadLetterMaxBytes,
      java.util.function.Consumer<String> deadLettered) {
    this.storeName = storeName;
    this.manifestSink = manifestSink;
    this.deadLetterSink = deadLetterSink;
    this.workerId = workerId;
    this.deadLetterMaxBytes = deadLetterMaxBytes;
    this.deadLettered = deadLettered;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    CorpusChunk chunk;
    try {
      chunk = Json.read(record.value(), CorpusChunk.class);
    } catch (MessageFormatException e) {
      deadLetter(
          record,
          meta,
          e.kind() == MessageFormatException.Kind.NOT_JSON ? "not-json" : "invalid-field",
          e.getMessage());
      return;
    }
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    if (!chunk.corpusId().equals(key)) {
      // A chunk keyed otherwise may sit in another partition than its siblings: order is lost.
      deadLetter(
          record,
          meta,
          "wrong-key",
          "a corpus chunk must be keyed by its corpusId '"
              + chunk.corpusId()
              + "', but the key is "
              + (key == null ? "missing" : "'" + key + "'"));
      return;
    }
    CorpusManifest before = store.get(chunk.corpusId());
    CorpusManifest after =
        CorpusIndex.apply(before, chunk, meta.partition(), meta.offset(), record.timestamp());
    if (after == before) return;
    store.put(chunk.corpusId(), after);
    if (after.lastError() != null
        && (before == null || !after.lastError().equals(before.lastError()))) {
      LOG.warn("corpus {}: {}", chunk.corpusId(), after.lastError());
    }
    if (after.current() != null && (before == null || !after.current().equals(before.current()))) {
      LOG.info(
          "corpus {}: upload {} complete ({} chunks, {} chars)",
          chunk.corpusId(),
          chunk.uploadId(),
          after.current().count(),
          after.current().chars());
    }
    context.forward(
        new Record<>(chunk.corpusId(), after, record.timestamp(), new RecordHeaders()),
        manifestSink);
  }

  private void deadLetter(
      Record<byte[], byte[]> record, RecordMetadata meta, String kind, String message) {
    LOG.warn(
        "corpus record {}-{}@{} dead-lettered: {}",
        meta.topic(),
        meta.partition(),
        meta.offset(),
        message);
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    DeadLetters.addErrorHeaders(
        headers,
        meta.topic(),
        meta.partition(),
        meta.offset(),
        record.timestamp(),
        kind,
        message,
        workerId);
    // A dead letter the producer refused would fail the stream thread on this record again and
    // again.
    byte[] value = DeadLetters.fit(record.key(), record.value(), headers, deadLetterMaxBytes);
    context.forward(
        new Record<Object, Object>(record.key(), value, record.timestamp(), headers),
        deadLetterSink);
    deadLettered.accept(kind);
  }
}
