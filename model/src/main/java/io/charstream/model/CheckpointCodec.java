package io.charstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * offset 16  M bytes   manifest: UTF-8 JSON (configs, vocabulary, history, position, array table)
 * then       float32 LE arrays, back to back; the manifest gives each one's name, shape, offset and
 *            length (in floats, from the start of this section) and the CRC-32 of the section
 * </pre>
 */
final class CheckpointCodec {

  static final byte[] MAGIC = "CHARSTRM".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointCodec() {}

  static byte[] encode(Checkpoint c) {
    List<Tensor> arrays = new ArrayList<>();
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("format", "charstream-checkpoint");
    manifest.put("formatVersion", Checkpoint.FORMAT_VERSION);
    manifest.put("weightLayout", "dl4j-1.0.0-M2.1-param-table");
    manifest.set("modelConfig", modelConfig(c.modelConfig()));
    manifest.set("trainingConfig", trainingConfig(c.trainingConfig()));
    ObjectNode vocabulary = manifest.putObject("vocabulary");
    vocabulary.put("kind", c.vocabulary().kind());
    ArrayNode cps = vocabulary.putArray("codePoints");
    c.vocabulary().codePoints().forEach(cps::add);
    ArrayNode history = manifest.putArray("history");
    for (Metrics m : c.history()) {
      ObjectNode e = history.addObject();
      e.put("epoch", m.epoch());
      e.put("globalStep", m.globalStep());
      putDouble(e, "trainLoss", m.trainLoss());
      putDouble(e, "valLoss", m.valLoss());
      putDouble(e, "durationSeconds", m.durationSeconds());
    }
    ObjectNode position = manifest.putObject("position");
    position.put("epoch", c.position().epoch());
    position.put("batch", c.position().batch());
    position.put("globalStep", c.position().globalStep());
    arrays.addAll(new TreeMap<>(c.weights()).values());
    if (c.trainingState().isPresent()) {
      Checkpoint.TrainingState ts = c.trainingState().get();
      ObjectNode t = manifest.putObject("trainingState");
      // As a string: a JSON number would lose bits in readers that parse numbers as doubles.
      t.put("rngState", Long.toString(ts.rngState()));
      putDouble(t, "epochLossSum", ts.epochLossSum());
      putDouble(t, "epochSeconds", ts.epochSeconds());
      arrays.addAll(new TreeMap<>(ts.arrays()).values());
    }
    ArrayNode table = manifest.putArray("arrays");
    long offset = 0;
    int weightCount = c.weights().size();
    for (int i = 0; i < arrays.size(); i++) {
      Tensor t = arrays.get(i);
      ObjectNode a = table.addObject();
      a.put("name", t.name());
      a.put("group", i < weightCount ? "weights" : "trainingState");
      ArrayNode shape = a.putArray("shape");
      for (int d : t.shape()) {
        shape.add(d);
      }
      a.put("offset", offset);
      a.put("length", t.size());
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
    manifest.put("dataCrc32", crc.getValue());
    byte[] manifestBytes;
    try {
      manifestBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
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
    JsonNode m;
    try {
      m = JSON.readTree(new String(bytes, HEADER_BYTES, manifestLength, StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CheckpointFormatException(
          "checkpoint manifest is not valid JSON ("
              + e.getOriginalMessage()
              + "): the file is damaged; use another checkpoint or train again",
          e);
    }
    int dataStart = HEADER_BYTES + manifestLength;
    long dataCrc = require(m, "dataCrc32").asLong();
    try {
      ModelConfig modelConfig = modelConfig(require(m, "modelConfig"));
      TrainingConfig trainingConfig = trainingConfig(require(m, "trainingConfig"));
      List<Integer> cps = new ArrayList<>();
      require(require(m, "vocabulary"), "codePoints").forEach(n -> cps.add(n.asInt()));
      Vocabulary vocabulary = Vocabulary.ofCodePoints(cps);
      List<Metrics> history = new ArrayList<>();
      for (JsonNode e : require(m, "history")) {
        history.add(
            new Metrics(
                require(e, "epoch").asInt(),
                require(e, "globalStep").asLong(),
                getDouble(e, "trainLoss"),
                getDouble(e, "valLoss"),
                getDouble(e, "durationSeconds")));
      }
      JsonNode p = require(m, "position");
      TrainingPosition position =
          new TrainingPosition(
              require(p, "epoch").asInt(),
              require(p, "batch").asInt(),
              require(p, "globalStep").asLong());

      ByteBuffer data =
          ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart)
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      Map<String, Tensor> weights = new LinkedHashMap<>();
      Map<String, Tensor> training = new LinkedHashMap<>();
      long expectedFloats = 0;
      for (JsonNode a : require(m, "arrays")) {
        String name = require(a, "name").asText();
        int[] shape = new int[require(a, "shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = a.get("shape").get(i).asInt();
        }
        long offset = require(a, "offset").asLong();
        int length = require(a, "length").asInt();
        if ((offset + length) * Float.BYTES > data.capacity()) {
          throw truncated("array " + name + " ends past the end of the file");
        }
        float[] values = new float[length];
        data.position(Math.toIntExact(offset * Float.BYTES));
        data.asFloatBuffer().get(values);
        Tensor t = new Tensor(name, shape, values);
        ("weights".equals(require(a, "group").asText()) ? weights : training).put(name, t);
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
      if (crc.getValue() != dataCrc) {
        throw new CheckpointFormatException(
            "checkpoint data is damaged (CRC-32 mismatch): use another"
                + " checkpoint or train again");
      }
      Checkpoint.TrainingState state = null;
      JsonNode t = m.get("trainingState");
      if (t != null && !t.isNull()) {
        state =
            new Checkpoint.TrainingState(
                training,
                Long.parseLong(require(t, "rngState").asText()),
                getDouble(t, "epochLossSum"),
                getDouble(t, "epochSeconds"));
      }
      return new Checkpoint(
          modelConfig, trainingConfig, vocabulary, history, position, weights, state);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(
          "checkpoint manifest holds an invalid value ("
              + e.getMessage()
              + "): the file is damaged or was edited; use another checkpoint or train again",
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

  private static JsonNode require(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new CheckpointFormatException(
          "checkpoint manifest lacks the field '"
              + field
              + "': the file is damaged or was not written by charstream; use another checkpoint or train again");
    }
    return v;
  }

  /** JSON has no NaN: NaN is written as null. */
  private static void putDouble(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    } else {
      node.putNull(field);
    }
  }

  private static double getDouble(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? Double.NaN : v.asDouble();
  }

  private static ObjectNode modelConfig(ModelConfig c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("vocabSize", c.vocabSize());
    n.put("embeddingSize", c.embeddingSize());
    n.put("rnnSize", c.rnnSize());
    n.put("numLayers", c.numLayers());
    n.put("dropRate", c.dropRate());
    return n;
  }

  private static ModelConfig modelConfig(JsonNode n) {
    return new ModelConfig(
        require(n, "vocabSize").asInt(),
        require(n, "embeddingSize").asInt(),
        require(n, "rnnSize").asInt(),
        require(n, "numLayers").asInt(),
        require(n, "dropRate").asDouble());
  }

  private static ObjectNode trainingConfig(TrainingConfig c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("seqLen", c.seqLen());
    n.put("batchSize", c.batchSize());
    n.put("numEpochs", c.numEpochs());
    n.put("learningRate", c.learningRate());
    n.put("clipNorm", c.clipNorm());
    n.put("valFraction", c.valFraction());
    n.put("seed", Long.toString(c.seed()));
    n.put("checkpointEverySteps", c.checkpointEverySteps());
    n.put("valSplit", c.valSplit().flag());
    n.put("lrSchedule", c.lrSchedule().flag());
    n.put("finalLearningRate", c.finalLearningRate());
    return n;
  }

  private static TrainingConfig trainingConfig(JsonNode n) {
    double learningRate = require(n, "learningRate").asDouble();
    // valSplit, lrSchedule and finalLearningRate were added later: manifests written before lack
    // them.
    return new TrainingConfig(
        require(n, "seqLen").asInt(),
        require(n, "batchSize").asInt(),
        require(n, "numEpochs").asInt(),
        learningRate,
        require(n, "clipNorm").asDouble(),
        require(n, "valFraction").asDouble(),
        Long.parseLong(require(n, "seed").asText()),
        require(n, "checkpointEverySteps").asInt(),
        TrainingConfig.ValidationSplit.parse(n.path("valSplit").asText("tail")),
        TrainingConfig.LearningRateSchedule.parse(n.path("lrSchedule").asText("constant")),
        n.path("finalLearningRate").asDouble(learningRate));
  }
}
