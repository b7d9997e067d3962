package io.charstream.trainer.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import org.junit.jupiter.api.Test;

class CorpusIndexTest {
  static final String SHA = "a".repeat(64);
  static final String SHA2 = "b".repeat(64);

  static CorpusChunk chunk(String upload, int index, int count, String sha, String text) {
    return new CorpusChunk(1, "c", upload, index, count, sha, text);
  }

  static CorpusManifest feed(CorpusManifest m, long offset, CorpusChunk c) {
    return CorpusIndex.apply(m, c, 2, offset, 1000 + offset);
  }

  /** The current upload spans offsets first..last with {@code chars} characters; none pending. */
  static void assertCompleted(CorpusManifest m, long first, long last, long chars) {
    assertThat(m.current().firstOffset()).isEqualTo(first);
    assertThat(m.current().lastOffset()).isEqualTo(last);
    assertThat(m.current().chars()).isEqualTo(chars);
    assertThat(m.pending()).isNull();
  }

  @Test
  void aSingleChunkUploadIsCompleteAtOnce() {
    CorpusManifest m = feed(null, 5, chunk("u1", 0, 1, SHA, "hello"));
    assertThat(m.current()).isNotNull();
    assertThat(m.current().complete()).isTrue();
    assertThat(m.current().partition()).isEqualTo(2);
    assertCompleted(m, 5, 5, 5);
  }

  @Test
  void chunksAccumulateInOrderAndCompleteTheUpload() {
    CorpusManifest m = feed(null, 10, chunk("u1", 0, 3, SHA, "ab"));
    assertThat(m.current()).isNull();
    assertThat(m.pending().received()).isEqualTo(1);
    m = feed(m, 12, chunk("u1", 1, 3, SHA, "cd")); // an unrelated record sat at offset 11
    m = feed(m, 13, chunk("u1", 2, 3, SHA, "e"));
    assertThat(m.current().uploadId()).isEqualTo("u1");
    assertCompleted(m, 10, 13, 5);
  }

  @Test
  void aReuploadReplacesTheCurrentOnlyWhenComplete() {
    CorpusManifest m = feed(null, 0, chunk("u1", 0, 1, SHA, "old"));
    m = feed(m, 1, chunk("u2", 0, 2, SHA2, "ne"));
    assertThat(m.current().uploadId()).isEqualTo("u1");
    assertThat(m.pending().uploadId()).isEqualTo("u2");
    m = feed(m, 2, chunk("u2", 1, 2, SHA2, "w"));
    assertThat(m.current().uploadId()).isEqualTo("u2");
    assertThat(m.current().sha256()).isEqualTo(SHA2);
  }

  @Test
  void aGapDiscardsThePendingUploadButKeepsTheCurrent() {
    CorpusManifest m = feed(null, 0, chunk("u1", 0, 1, SHA, "old"));
    m = feed(m, 1, chunk("u2", 0, 3, SHA2, "a"));
    m = feed(m, 2, chunk("u2", 2, 3, SHA2, "c"));
    assertThat(m.pending()).isNull();
    assertThat(m.current().uploadId()).isEqualTo("u1");
    assertThat(m.lastError()).contains("u2").contains("chunk 1 is missing");
    m = feed(m, 3, chunk("u2", 1, 3, SHA2, "b")); // too late: its upload was discarded
    assertThat(m.lastError()).contains("never seen");
    assertThat(m.current().uploadId()).isEqualTo("u1");
  }

  @Test
  void duplicatesChangeNothing() {
    CorpusManifest m = feed(null, 0, chunk("u1", 0, 2, SHA, "a"));
    assertThat(feed(m, 1, chunk("u1", 0, 2, SHA, "a")).pending().received()).isEqualTo(1);
    CorpusManifest done = feed(m, 2, chunk("u1", 1, 2, SHA, "b"));
    assertThat(feed(done, 3, chunk("u1", 1, 2, SHA, "b"))).isSameAs(done);
  }

  @Test
  void chunksThatDisagreeWithTheirUploadDiscardIt() {
    CorpusManifest m = feed(null, 0, chunk("u1", 0, 2, SHA, "a"));
    m = feed(m, 1, chunk("u1", 1, 2, SHA2, "b"));
    assertThat(m.current()).isNull();
    assertThat(m.pending()).isNull();
    assertThat(m.lastError()).contains("disagrees");
  }

  @Test
  void aNewUploadAbandoningAPendingOneSaysSo() {
    CorpusManifest m = feed(null, 0, chunk("u1", 0, 3, SHA, "a"));
    m = feed(m, 1, chunk("u2", 0, 1, SHA2, "x"));
    assertThat(m.current().uploadId()).isEqualTo("u2");
    assertThat(m.lastError()).contains("u1 was abandoned after 1 of 3");
  }
}
