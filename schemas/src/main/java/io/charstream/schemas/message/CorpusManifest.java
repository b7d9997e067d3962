package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;

/**
 * The trainer's index entry of one corpus, on the compacted {@code charstream.corpora} keyed by
 * corpusId. Written by the trainer's corpus indexer (Kafka Streams) from the chunks on {@code
 * charstream.corpus}; read by every trainer to validate requests and find a corpus's text.
 *
 * @param current the latest complete upload, trained on; null until one completes
 * @param pending an upload in progress, which replaces {@code current} when its last chunk arrives
 * @param lastError why the latest upload attempt was discarded (out-of-order or missing chunks), or
 *     null
 */
public record CorpusManifest(
    int schemaVersion,
    String corpusId,
    Upload current,
    Upload pending,
    String lastError,
    long updatedAtMs) {
  public static final int SCHEMA_VERSION = 1;

  public CorpusManifest {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(corpusId, "corpusId");
  }

  /**
   * Where the chunks of one upload are: all in one partition of the corpus topic, between two
   * offsets (other uploads' chunks may be interleaved and are skipped by uploadId).
   *
   * @param received chunks received in order so far (== count when complete)
   * @param sha256 the SHA-256 the uploader declared; checked when the text is read
   */
  public record Upload(
      String uploadId,
      int count,
      int received,
      String sha256,
      int partition,
      long firstOffset,
      long lastOffset,
      long chars) {
    public Upload {
      Checks.id(uploadId, "uploadId");
      Checks.atLeast(count, 1, "count");
      Checks.atLeast(received, 0, "received");
      Checks.sha256(sha256, "sha256");
      Checks.atLeast(partition, 0, "partition");
      Checks.atLeast(firstOffset, 0, "firstOffset");
      Checks.atLeast(lastOffset, firstOffset, "lastOffset");
      Checks.atLeast(chars, 0, "chars");
    }

    public boolean complete() {
      return received == count;
    }
  }
}
