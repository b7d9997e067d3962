package io.charstream.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * The checkpoint file format.
 *
 * <pre>
 * offset 0   8 bytes   magic "CHARSTRM"
 * offset 8   int32 LE  format version ({@link Checkpoint#FORMAT_VERSION})
 * offset 12  int32 LE  manifest length M in bytes
 * offset 16  M bytes   manifest: UTF-8 JSON ({@link CheckpointManifest}: configs, vocabulary,
 *                      history, position, array table)
 * then       float32 LE arrays, back to back; the manifest gives each one's name, shape, offset and
 *            length (in floats, from the start of this section) and the CRC-32 of the section
 * </pre>
 */
final class CheckpointCodec {

  static final byte[] MAGIC = "CHARSTRM".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 16;

  /** Binds {@link CheckpointManifest}; unknown fields are ignored, as they always were. */
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private CheckpointCodec() {}

  static byte[] encode(Checkpoint c) {
    List<Tensor> arrays = new ArrayList<>(new TreeMap<>(c.weights()).values());
    c.trainingState().ifPresent(ts -> arrays.addAll(new TreeMap<>(ts.arrays()).values()));
    List<CheckpointManifest.Array> table = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < arrays.size(); i++) {
      Tensor t = arrays.get(i);
      String group =
          i < c.weights().size() ? CheckpointManifest.WEIGHTS : CheckpointManifest.TRAINING_STATE;
      table.add(new CheckpointManifest.Array(t.name(), group, t.shape(), offset, t.size()));
      offset += t.size();
    }
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(offset * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : arrays) {
      data.asFloatBuffer().put(t.data());
      data.position(data.position() + t.size() * Float.BYTES);
    }
    CRC32 crc = new CRC32();
    crc.update(data.array());
    byte[] manifestBytes;
    try {
      manifestBytes =
          JSON.writerWithDefaultPrettyPrinter()
              .writeValueAsBytes(CheckpointManifest.of(c, table, crc.getValue()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the checkpoint manifest", e);
    }
    ByteBuffer out =
        ByteBuffer.allocate(HEADER_BYTES + manifestBytes.length + data.capacity())
            .order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC)
        .putInt(Checkpoint.FORMAT_VERSION)
        .putInt(manifestBytes.length)
        .put(manifestBytes)
        .put(data.array());
    return out.array();
  }

  static Checkpoint decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < HEADER_BYTES || !startsWithMagic(bytes)) {
      throw new CheckpointFormatException(
          "not a charstream checkpoint (it does not start with the magic"
              + " bytes \"CHARSTRM\"): pass a file written by `charstream train --checkpoint-path`");
    }
    in.position(MAGIC.length);
    int version = in.getInt();
    if (version != Checkpoint.FORMAT_VERSION) {
      throw new CheckpointFormatException(
          "checkpoint format version "
              + version
              + " is not supported:"
              + " this charstream reads version "
              + Checkpoint.FORMAT_VERSION
              + ". Load it with the charstream"
              + " release that wrote it, or train a new checkpoint with `charstream train`");
    }
    int manifestLength = in.getInt();
    if (manifestLength < 2 || manifestLength > bytes.length - HEADER_BYTES) {
      throw truncated("its manifest length " + manifestLength + " exceeds the file");
    }
    int dataStart = HEADER_BYTES + manifestLength;
    try {
      CheckpointManifest m = readManifest(bytes, manifestLength);
      ModelConfig modelConfig = m.modelConfig().toConfig();
      TrainingConfig trainingConfig = m.trainingConfig().toConfig();
      Vocabulary vocabulary = Vocabulary.ofCodePoints(m.vocabulary().codePoints());
      List<Metrics> history =
          m.history().stream().map(CheckpointManifest.Epoch::toMetrics).toList();
      TrainingPosition position = m.position().toPosition();

      ByteBuffer data =
          ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart)
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      Map<String, Tensor> weights = new LinkedHashMap<>();
      Map<String, Tensor> training = new LinkedHashMap<>();
      long expectedFloats = 0;
      for (CheckpointManifest.Array a : m.arrays()) {
        long offset = a.offset();
        int length = a.length();
        if ((offset + length) * Float.BYTES > data.capacity()) {
          throw truncated("array " + a.name() + " ends past the end of the file");
        }
        float[] values = new float[length];
        data.position(Math.toIntExact(offset * Float.BYTES));
        data.asFloatBuffer().get(values);
        (a.isWeight() ? weights : training).put(a.name(), new Tensor(a.name(), a.shape(), values));
        expectedFloats = Math.max(expectedFloats, offset + length);
      }
      if (expectedFloats * Float.BYTES != data.capacity()) {
        throw truncated(
            "it holds "
                + data.capacity()
                + " data bytes where the manifest describes "
                + expectedFloats * Float.BYTES);
      }
      CRC32 crc = new CRC32();
      crc.update(bytes, dataStart, bytes.length - dataStart);
      if (crc.getValue() != m.dataCrc32()) {
        throw new CheckpointFormatException(
            "checkpoint data is damaged (CRC-32 mismatch): use another"
                + " checkpoint or train again");
      }
      Checkpoint.TrainingState state =
          m.trainingState() == null ? null : m.trainingState().toState(training);
      return new Checkpoint(
          modelConfig, trainingConfig, vocabulary, history, position, weights, state);
    } catch (IllegalArgumentException e) {
      throw invalidValue(e.getMessage(), e);
    }
  }

  /**
   * Binds the manifest; a missing required field, a value of the wrong type or a value its record
   * refuses becomes a {@link CheckpointFormatException} that says what is wrong.
   */
  private static CheckpointManifest readManifest(byte[] bytes, int length) {
    try {
      return JSON.readValue(bytes, HEADER_BYTES, length, CheckpointManifest.class);
    } catch (com.fasterxml.jackson.core.JsonParseException e) {
      throw new CheckpointFormatException(
          "checkpoint manifest is not valid JSON ("
              + e.getOriginalMessage()
              + "): the file is damaged; use another checkpoint or train again",
          e);
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof CheckpointFormatException f) throw f;
        if (t instanceof IllegalArgumentException iae) throw invalidValue(iae.getMessage(), e);
      }
      throw invalidValue(
          e instanceof com.fasterxml.jackson.core.JsonProcessingException j
              ? j.getOriginalMessage()
              : e.getMessage(),
          e);
    }
  }

  static void write(Checkpoint c, Path path) throws IOException {
    Path absolute = path.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    // Write next to the target and rename, so a reader never sees a half-written checkpoint.
    Path tmp = Files.createTempFile(dir, absolute.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, encode(c));
      Files.move(
          tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static Checkpoint read(Path path) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(
          path.toString(),
          null,
          "no checkpoint there: check --checkpoint-path, or train one with `charstream train`");
    }
    try {
      return decode(bytes);
    } catch (CheckpointFormatException e) {
      throw new CheckpointFormatException(path + ": " + e.getMessage(), e);
    }
  }

  private static boolean startsWithMagic(byte[] bytes) {
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  private static CheckpointFormatException truncated(String why) {
    return new CheckpointFormatException(
        "checkpoint is truncated or damaged (" + why + "): use another checkpoint or train again");
  }

  private static CheckpointFormatException invalidValue(String what, Exception cause) {
    return new CheckpointFormatException(
        "checkpoint manifest holds an invalid value ("
            + what
            + "): the file is damaged or was edited; use another checkpoint or train again",
        cause);
  }
}
