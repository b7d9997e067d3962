package io.charstream.model;

import java.io.IOException;
import java.nio.file.Path;

/** Reads and writes the checkpoint file format (see {@link Checkpoint}). */
final class CheckpointCodec {
  private CheckpointCodec() {}

  static byte[] encode(Checkpoint c) {
    throw new UnsupportedOperationException("checkpoint encoding: not yet implemented");
  }

  static Checkpoint decode(byte[] bytes) {
    throw new UnsupportedOperationException("checkpoint decoding: not yet implemented");
  }

  static void write(Checkpoint c, Path path) throws IOException {
    throw new UnsupportedOperationException("checkpoint writing: not yet implemented");
  }

  static Checkpoint read(Path path) throws IOException {
    throw new UnsupportedOperationException("checkpoint reading: not yet implemented");
  }
}
