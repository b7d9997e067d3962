package io.charstream.trainer.corpus;

import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.CorpusManifest.Upload;

/**
 * How one chunk changes a corpus's index entry. Chunks of an upload must arrive in order (they do:
 * one key, one partition); index 0 starts a new upload, which replaces the current one only when
 * its last chunk arrives. A gap, or a chunk that disagrees with its upload's count or checksum,
 * discards the upload with a reason in {@code lastError}; the current upload stays usable.
 */
public final class CorpusIndex {
  private CorpusIndex() {}

  /**
   * @param before the corpus's entry, or null for a new corpus
   * @param partition the corpus topic partition the chunk came from
   * @param offset the chunk's offset
   * @return the new entry, or {@code before} when the chunk changes nothing (a duplicate)
   */
  public static CorpusManifest apply(
      CorpusManifest before, CorpusChunk chunk, int partition, long offset, long nowMs) {
    Upload current = before == null ? null : before.current();
    Upload pending = before == null ? null : before.pending();
    String error = before == null ? null : before.lastError();

    if (chunk.index() == 0) {
      String abandoned =
          pending != null && !pending.uploadId().equals(chunk.uploadId())
              ? "upload "
                  + pending.uploadId()
                  + " was abandoned after "
                  + pending.received()
                  + " of "
                  + pending.count()
                  + " chunks (a new upload "
                  + chunk.uploadId()
                  + " started)"
              : null;
      Upload started =
          new Upload(
              chunk.uploadId(),
              chunk.count(),
              1,
              chunk.sha256(),
              partition,
              offset,
              offset,
              chunk.text().length());
      return settle(
          chunk.corpusId(), current, started, abandoned != null ? abandoned : error, nowMs);
    }
    if (pending == null || !pending.uploadId().equals(chunk.uploadId())) {
      if (current != null && current.uploadId().equals(chunk.uploadId())) {
        return before; // a late duplicate of a complete upload
      }
      return manifest(
          chunk.corpusId(),
          current,
          pending,
          "chunk "
              + chunk.index()
              + " of upload "
              + chunk.uploadId()
              + " ignored: its chunk 0 was never seen (upload the corpus again)",
          nowMs);
    }
    if (chunk.index() < pending.received()) {
      return before; // a duplicate (e.g. a producer retry), already counted
    }
    if (chunk.index() > pending.received()) {
      return discarded(
          chunk,
          current,
          "chunk " + pending.received() + " is missing (got chunk " + chunk.index() + " next)",
          nowMs);
    }
    if (chunk.count() != pending.count() || !chunk.sha256().equals(pending.sha256())) {
      return discarded(
          chunk,
          current,
          "chunk " + chunk.index() + " disagrees with chunk 0 on count or sha256",
          nowMs);
    }
    Upload grown =
        new Upload(
            pending.uploadId(),
            pending.count(),
            pending.received() + 1,
            pending.sha256(),
            pending.partition(),
            pending.firstOffset(),
            offset,
            pending.chars() + chunk.text().length());
    return settle(chunk.corpusId(), current, grown, error, nowMs);
  }

  /** A complete upload becomes current; an incomplete one stays pending. */
  /** The pending upload of {@code chunk} is dropped; the corpus keeps {@code current}. */
  private static CorpusManifest discarded(
      CorpusChunk chunk, Upload current, String why, long nowMs) {
    return manifest(
        chunk.corpusId(),
        current,
        null,
        "upload " + chunk.uploadId() + " discarded: " + why + "; upload the corpus again",
        nowMs);
  }

  private static CorpusManifest settle(
      String corpusId, Upload current, Upload upload, String error, long nowMs) {
    return upload.complete()
        ? manifest(corpusId, upload, null, error, nowMs)
        : manifest(corpusId, current, upload, error, nowMs);
  }

  private static CorpusManifest manifest(
      String corpusId, Upload current, Upload pending, String error, long nowMs) {
    return new CorpusManifest(
        CorpusManifest.SCHEMA_VERSION, corpusId, current, pending, error, nowMs);
  }
}
