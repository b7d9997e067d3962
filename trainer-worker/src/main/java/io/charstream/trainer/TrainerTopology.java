package io.charstream.trainer;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.JsonSerde;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.trainer.corpus.CorpusIndexer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.Stores;

/**
 * The trainer's Kafka Streams topology: the natural tool for its tables.
 *
 * <ul>
 *   <li>corpus index: corpus chunks (partitioned by corpusId) -> {@link CorpusIndexer} with a
 *       changelogged store -> the compacted corpora topic (unreadable chunks -> corpus.dlq);
 *   <li>three global tables every trainer can query for any key: corpora (corpusId -> manifest),
 *       job states (jobId -> latest status) and cancellations (jobId -> cancel request).
 * </ul>
 *
 * Global tables keep raw bytes and are parsed on lookup ({@link JobTables}), so a stray bad record
 * on those topics cannot stop the stream thread. Training never runs on a stream thread.
 */
public final class TrainerTopology {
  public static final String MANIFEST_STORE = "corpus-manifests";
  public static final String CORPORA_STORE = "corpora";
  public static final String JOBS_STORE = "job-states";
  public static final String CANCELS_STORE = "cancellations";

  private TrainerTopology() {}

  public static Topology build(Topics topics, String workerId) {
    return build(topics, workerId, kind -> {});
  }

  /**
   * @param corpusDeadLettered told the kind of each corpus chunk sent to the dead-letter topic
   *     (not-json, invalid-field, wrong-key), on the stream thread
   */
  public static Topology build(
      Topics topics, String workerId, java.util.function.Consumer<String> corpusDeadLettered) {
    StreamsBuilder builder = new StreamsBuilder();
    globalBytesTable(builder, topics.corpora().name(), CORPORA_STORE);
    globalBytesTable(builder, topics.trainingStatus().name(), JOBS_STORE);
    globalBytesTable(builder, topics.trainingControl().name(), CANCELS_STORE);

    Topology topology = builder.build();
    JsonSerde<CorpusManifest> manifests = new JsonSerde<>(CorpusManifest.class);
    topology
        .addSource(
            "corpus-source",
            Serdes.ByteArray().deserializer(),
            Serdes.ByteArray().deserializer(),
            topics.corpus().name())
        .addProcessor(
            "corpus-indexer",
            () ->
                new CorpusIndexer(
                    MANIFEST_STORE,
                    "corpora-sink",
                    "corpus-dlq-sink",
                    workerId,
                    topics.deadLetter(topics.corpus()).settings().maxMessageBytes(),
                    corpusDeadLettered),
            "corpus-source")
        .addStateStore(
            Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(MANIFEST_STORE), Serdes.String(), manifests),
            "corpus-indexer")
        .addSink(
            "corpora-sink",
            topics.corpora().name(),
            Serdes.String().serializer(),
            manifests.serializer(),
            "corpus-indexer")
        .addSink(
            "corpus-dlq-sink",
            topics.deadLetter(topics.corpus()).name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer(),
            "corpus-indexer");
    return topology;
  }

  private static void globalBytesTable(StreamsBuilder builder, String topic, String store) {
    builder.globalTable(
        topic,
        Consumed.with(Serdes.String(), Serdes.ByteArray()),
        Materialized.<String, byte[]>as(Stores.inMemoryKeyValueStore(store))
            .withKeySerde(Serdes.String())
            .withValueSerde(Serdes.ByteArray()));
  }
}
