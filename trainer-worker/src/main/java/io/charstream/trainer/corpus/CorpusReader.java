package io.charstream.trainer.corpus;

import io.charstream.schemas.Sha256;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.trainer.kafka.PartitionScan;
import io.charstream.trainer.request.Rejection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * Reads the text of a complete corpus upload from the corpus topic (the chunks between the offsets
 * the index recorded) and checks it against the uploader's SHA-256, so a corrupt or truncated
 * upload is never trained on.
 */
public final class CorpusReader {
  private final Topics topics;
  private final PartitionScan scan;
  private final long maxBytes;

  public CorpusReader(Topics topics, PartitionScan scan, long maxBytes) {
    this.topics = topics;
    this.scan = scan;
    this.maxBytes = maxBytes;
  }

  public String read(CorpusManifest manifest) throws Rejection {
    CorpusManifest.Upload u = manifest.current();
    StringBuilder text = new StringBuilder((int) Math.min(u.chars(), Integer.MAX_VALUE - 8));
    MessageDigest sha = Sha256.digest();
    int[] next = {0};
    long[] bytes = {0};
    String[] problem = {null};
    scan.scan(
        topics.corpus(),
        u.partition(),
        u.firstOffset(),
        u.lastOffset(),
        r -> {
          CorpusChunk chunk;
          try {
            chunk = Json.read(r.value(), CorpusChunk.class);
          } catch (MessageFormatException e) {
            return true; // not part of any upload: dead-lettered by the index
          }
          if (!chunk.corpusId().equals(manifest.corpusId())
              || !chunk.uploadId().equals(u.uploadId())) return true;
          if (chunk.index() < next[0]) return true; // a duplicate the index skipped too
          if (chunk.index() > next[0]) {
            problem[0] = "chunk " + next[0] + " is missing";
            return false;
          }
          byte[] utf8 = chunk.text().getBytes(StandardCharsets.UTF_8);
          bytes[0] += utf8.length;
          if (bytes[0] > maxBytes) {
            problem[0] = "it is larger than this trainer's max.corpus.bytes (" + maxBytes + ")";
            return false;
          }
          sha.update(utf8);
          text.append(chunk.text());
          next[0]++;
          return next[0] < u.count();
        },
        Duration.ofMinutes(5));
    String where = "corpus '" + manifest.corpusId() + "' (upload " + u.uploadId() + ")";
    if (problem[0] == null && next[0] < u.count()) {
      problem[0] =
          "only " + next[0] + " of " + u.count() + " chunks could be read (deleted by retention?)";
    }
    if (problem[0] != null) {
      throw new Rejection(
          "corpusId", where + " cannot be used: " + problem[0] + "; upload it again");
    }
    String actual = Sha256.hex(sha);
    if (!actual.equals(u.sha256())) {
      throw new Rejection(
          "corpusId",
          where
              + " is corrupt or truncated: its text has SHA-256 "
              + actual
              + " but the upload declared "
              + u.sha256()
              + "; upload it again");
    }
    return text.toString();
  }
}
