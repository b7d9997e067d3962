package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;

/**
 * One ordered piece of a corpus upload on {@code charstream.corpus}, keyed by corpusId (so every
 * chunk of a corpus lands in one partition, in order).
 *
 * @param uploadId identifies one upload; a complete later upload replaces an earlier one
 * @param index 0-based position of this chunk in the upload
 * @param count number of chunks in the upload (the same in every chunk)
 * @param sha256 SHA-256 (lower-case hex) of the UTF-8 bytes of the whole corpus, the concatenation
 *     of the chunks' texts in index order; the same in every chunk, so a truncated upload is caught
 * @param text this chunk's characters (chunks split between code points, never inside one)
 */
public record CorpusChunk(
    int schemaVersion,
    String corpusId,
    String uploadId,
    int index,
    int count,
    String sha256,
    String text) {
  public static final int SCHEMA_VERSION = 1;

  public CorpusChunk {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(corpusId, "corpusId");
    Checks.id(uploadId, "uploadId");
    Checks.atLeast(count, 1, "count");
    Checks.atLeast(index, 0, "index");
    if (index >= count) {
      throw new InvalidFieldException("index", "must be < count (" + count + "), got " + index);
    }
    Checks.sha256(sha256, "sha256");
    Checks.required(text, "text");
  }
}
