package io.charstream.trainer;

import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link JobTables} on the global stores of a running {@link TrainerTopology}. */
final class StreamsJobTables implements JobTables {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsJobTables.class);
  private final KafkaStreams streams;

  StreamsJobTables(KafkaStreams streams) {
    this.streams = streams;
  }

  @Override
  public Optional<CorpusManifest> corpus(String corpusId) {
    return lookup(TrainerTopology.CORPORA_STORE, corpusId, CorpusManifest.class);
  }

  @Override
  public Optional<TrainingStatus> job(String jobId) {
    return lookup(TrainerTopology.JOBS_STORE, jobId, TrainingStatus.class);
  }

  @Override
  public Optional<CancelRequest> cancel(String jobId) {
    return lookup(TrainerTopology.CANCELS_STORE, jobId, CancelRequest.class);
  }

  /**
   * Size of the corpus index (the global corpora table): corpora with a complete upload and their
   * characters; null while the tables cannot be queried (starting, restoring, stopped). Parses
   * every manifest: fine at scrape intervals for thousands of corpora.
   */
  TrainerMetrics.CorpusStats corpusStats() {
    long corpora = 0;
    long chars = 0;
    try {
      ReadOnlyKeyValueStore<String, byte[]> kv =
          streams.store(
              StoreQueryParameters.fromNameAndType(
                  TrainerTopology.CORPORA_STORE,
                  QueryableStoreTypes.<String, byte[]>keyValueStore()));
      try (KeyValueIterator<String, byte[]> it = kv.all()) {
        while (it.hasNext()) {
          CorpusManifest m = parse(it.next().value);
          if (m != null && m.current() != null) {
            corpora++;
            chars += m.current().chars();
          }
        }
      }
    } catch (InvalidStateStoreException | IllegalStateException e) {
      return null; // not queryable now (IllegalStateException: the client failed or stopped)
    }
    return new TrainerMetrics.CorpusStats(corpora, chars);
  }

  private static CorpusManifest parse(byte[] bytes) {
    try {
      return bytes == null ? null : Json.read(bytes, CorpusManifest.class);
    } catch (MessageFormatException e) {
      return null; // logged when a job looks it up
    }
  }

  private <T> Optional<T> lookup(String store, String key, Class<T> type) {
    byte[] bytes;
    try {
      ReadOnlyKeyValueStore<String, byte[]> kv =
          streams.store(
              StoreQueryParameters.fromNameAndType(
                  store, QueryableStoreTypes.<String, byte[]>keyValueStore()));
      bytes = kv.get(key);
    } catch (InvalidStateStoreException e) {
      // Streams is starting, restoring or stopping: a Kafka-side condition the job waits out.
      throw new KafkaException(
          "the trainer's tables are not available now (" + streams.state() + ")", e);
    }
    if (bytes == null) return Optional.empty();
    try {
      return Optional.of(Json.read(bytes, type));
    } catch (MessageFormatException e) {
      LOG.warn("ignoring unreadable {} record for key {}: {}", store, key, e.getMessage());
      return Optional.empty();
    }
  }
}
