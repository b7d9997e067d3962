package io.charstream.app.reliability;

import static io.charstream.app.reliability.HostileInputs.utf8;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.app.reliability.HostileInputs.Hostile;
import io.charstream.app.reliability.HostileInputs.Outcome;
import io.charstream.app.worker.TrainerFixture;
import io.charstream.schemas.Sha256;
import io.charstream.schemas.TopicSettings;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.TrainingRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The trainer's part of the hostile-input catalogue: training requests, corpus chunks and cancel
 * requests, each with its documented outcome (see docs/reliability.md).
 */
final class TrainerHostileInputs {

  private TrainerHostileInputs() {}

  /** A valid tiny request for {@code modelId} (also its key), changed by {@code edit}. */
  private static byte[] request(String modelId, String corpusId, Consumer<ObjectNode> edit) {
    ObjectNode n =
        (ObjectNode)
            Json.readTree(
                Json.write(
                    TrainerFixture.tinyRequest(null, modelId, corpusId, 1), TrainingRequest.class));
    edit.accept(n);
    return Json.write(n);
  }

  /** A rejection naming {@code field}, whose reason contains every one of {@code reason}. */
  private static void rejected(
      List<Hostile> out, String modelId, String field, byte[] value, String... reason) {
    out.add(
        new Hostile(
            modelId, modelId, value, new Outcome.Rejected(modelId, field, List.of(reason))));
  }

  private static void unreadable(List<Hostile> out, String modelId, byte[] value, String... why) {
    out.add(
        new Hostile(
            modelId,
            modelId,
            value,
            new Outcome.DeadLetterAndRejected("not-json", modelId, false, List.of(why))));
  }

  /**
   * Bad training requests. Model ids (and keys) start with {@code tm-}; {@code corpusId} is an
   * uploaded corpus, {@code smallCorpusId} one with fewer characters than one batch.
   */
  static List<Hostile> trainingRequests(String corpusId, String smallCorpusId) {
    List<Hostile> out = new ArrayList<>();
    // Not JSON: the original bytes go to the dead-letter topic, and the key's model gets a
    // rejection.
    unreadable(out, "tm-not-json", utf8("train me please"), "not valid JSON");
    unreadable(out, "tm-empty", new byte[0], "empty record");
    unreadable(out, "tm-tombstone", null, "empty record");
    unreadable(out, "tm-array", utf8("[\"tm-array\",128]"), "expected a JSON object, got array");
    unreadable(
        out,
        "tm-nested",
        utf8("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000)),
        "not valid JSON",
        "depth");
    unreadable(
        out,
        "tm-nan",
        utf8(
            new String(
                    request("tm-nan", corpusId, n -> {}), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"learningRate\":0.01", "\"learningRate\":NaN")),
        "not valid JSON",
        "NaN");
    byte[] badUtf8 = request("tm-bad-utf8", corpusId, n -> n.put("corpusId", "c@"));
    badUtf8[indexOf(badUtf8, (byte) '@')] = (byte) 0xE2; // a 3-byte lead followed by '"'
    unreadable(out, "tm-bad-utf8", badUtf8, "not valid UTF-8");
    out.add(
        new Hostile(
            "dlq-keyless-garbage",
            null,
            utf8("{{{ no key, no model }}}"),
            new Outcome.DeadLetter("not-json", "not valid JSON")));
    byte[] almostMiB = new byte[TopicSettings.MIB - 200];
    Arrays.fill(almostMiB, (byte) '#');
    out.add(
        new Hostile(
            "tm-almost-1mib",
            "tm-almost-1mib",
            almostMiB,
            new Outcome.DeadLetterAndRejected(
                "not-json", "tm-almost-1mib", true, List.of("not valid JSON"))));
    // Wrong types, missing and unknown fields, versions: a rejection that names the field.
    rejected(
        out,
        "tm-rnn-string",
        "rnnSize",
        request("tm-rnn-string", corpusId, n -> n.put("rnnSize", "big")),
        "big");
    rejected(
        out,
        "tm-batch-float",
        "batchSize",
        request("tm-batch-float", corpusId, n -> n.put("batchSize", 8.5)),
        "8.5");
    rejected(
        out,
        "tm-epochs-bool",
        "numEpochs",
        request("tm-epochs-bool", corpusId, n -> n.put("numEpochs", true)),
        "true");
    rejected(
        out,
        "tm-rnn-overflow",
        "rnnSize",
        request("tm-rnn-overflow", corpusId, n -> n.put("rnnSize", 99_999_999_999L)),
        "99999999999");
    rejected(
        out,
        "tm-missing-corpus",
        "corpusId",
        request("tm-missing-corpus", corpusId, n -> n.remove("corpusId")),
        "missing");
    rejected(
        out,
        "tm-missing-model",
        "modelId",
        request("tm-missing-model", corpusId, n -> n.remove("modelId")),
        "missing");
    rejected(
        out,
        "tm-unknown-field",
        "rnnSise",
        request("tm-unknown-field", corpusId, n -> n.put("rnnSise", 3)),
        "unknown field 'rnnSise'");
    rejected(
        out,
        "tm-future-version",
        "schemaVersion",
        request("tm-future-version", corpusId, n -> n.put("schemaVersion", 2)),
        "version 2 is not supported");
    rejected(
        out,
        "tm-job-id",
        "jobId",
        request("tm-job-id", corpusId, n -> n.put("jobId", "../../x y")),
        "jobId");
    rejected(
        out,
        "tm-vocabulary",
        "vocabulary",
        request("tm-vocabulary", corpusId, n -> n.put("vocabulary", "klingon")),
        "klingon");
    // Values out of range, and absurd sizes: an rnn that would not fit in memory, huge batches.
    rejected(
        out,
        "tm-seq-negative",
        "seqLen",
        request("tm-seq-negative", corpusId, n -> n.put("seqLen", -1)),
        "-1");
    rejected(
        out,
        "tm-batch-zero",
        "batchSize",
        request("tm-batch-zero", corpusId, n -> n.put("batchSize", 0)),
        "batchSize");
    rejected(
        out,
        "tm-layers-zero",
        "numLayers",
        request("tm-layers-zero", corpusId, n -> n.put("numLayers", 0)),
        "numLayers");
    rejected(
        out,
        "tm-epochs-zero",
        "numEpochs",
        request("tm-epochs-zero", corpusId, n -> n.put("numEpochs", 0)),
        "numEpochs");
    rejected(
        out,
        "tm-drop-one",
        "dropRate",
        request("tm-drop-one", corpusId, n -> n.put("dropRate", 1.0)),
        "dropRate",
        "1.0");
    rejected(
        out,
        "tm-lr-zero",
        "learningRate",
        request("tm-lr-zero", corpusId, n -> n.put("learningRate", 0)),
        "learningRate");
    rejected(
        out,
        "tm-clip-negative",
        "clipNorm",
        request("tm-clip-negative", corpusId, n -> n.put("clipNorm", -5)),
        "clipNorm",
        "-5");
    rejected(
        out,
        "tm-val-big",
        "valFraction",
        request("tm-val-big", corpusId, n -> n.put("valFraction", 0.9)),
        "valFraction",
        "0.9");
    rejected(
        out,
        "tm-rnn-huge",
        "rnnSize",
        request("tm-rnn-huge", corpusId, n -> n.put("rnnSize", 100_000)),
        "100000");
    rejected(
        out,
        "tm-rnn-no-memory",
        "rnnSize",
        request(
            "tm-rnn-no-memory",
            corpusId,
            n -> {
              n.put("rnnSize", 16_000);
              n.put("numLayers", 64); // ~130 G parameters: 0.5 TB of weights
            }),
        "rnnSize");
    rejected(
        out,
        "tm-rnn-max-int",
        "rnnSize",
        request("tm-rnn-max-int", corpusId, n -> n.put("rnnSize", Integer.MAX_VALUE)),
        "2147483647");
    rejected(
        out,
        "tm-batch-huge",
        "batchSize",
        request("tm-batch-huge", corpusId, n -> n.put("batchSize", 1_000_000)),
        "1000000");
    rejected(
        out,
        "tm-seq-huge",
        "seqLen",
        request("tm-seq-huge", corpusId, n -> n.put("seqLen", 1_000_000)),
        "1000000");
    rejected(
        out,
        "tm-epochs-huge",
        "numEpochs",
        request("tm-epochs-huge", corpusId, n -> n.put("numEpochs", 1_000_000_000)),
        "1000000000");
    rejected(
        out,
        "tm-activations",
        "batchSize",
        request(
            "tm-activations",
            corpusId,
            n -> {
              n.put("batchSize", 4096);
              n.put("seqLen", 4096);
            }),
        "max.batch.activation.floats");
    // Recipe fields with values no recipe has: a rejection naming the field and the value.
    rejected(
        out,
        "tm-preset-unknown",
        "preset",
        request("tm-preset-unknown", corpusId, n -> n.put("preset", "fastest")),
        "fastest");
    rejected(
        out,
        "tm-val-split-unknown",
        "valSplit",
        request("tm-val-split-unknown", corpusId, n -> n.put("valSplit", "random")),
        "random");
    rejected(
        out,
        "tm-lr-schedule-unknown",
        "lrSchedule",
        request("tm-lr-schedule-unknown", corpusId, n -> n.put("lrSchedule", "linear")),
        "linear");
    // An absurd learning rate: refused before it can diverge (training caps it at 10).
    rejected(
        out,
        "tm-lr-absurd",
        "learningRate",
        request("tm-lr-absurd", corpusId, n -> n.put("learningRate", 1e6)),
        "1000000.0");
    // Requests the contract accepts but the trainer cannot train.
    rejected(
        out,
        "tm-unknown-corpus",
        null,
        request("tm-unknown-corpus", corpusId, n -> n.put("corpusId", "no-such")),
        "no-such");
    rejected(
        out,
        "tm-small-corpus",
        "batchSize",
        request("tm-small-corpus", smallCorpusId, n -> {}),
        "batchSize");
    out.add(
        new Hostile(
            "tm-wrong-key",
            "someone-else",
            request("tm-wrong-key", corpusId, n -> {}),
            new Outcome.Rejected("tm-wrong-key", "modelId", List.of("someone-else"))));
    return List.copyOf(out);
  }

  private static String chunk(String corpusId, Consumer<ObjectNode> edit) {
    ObjectNode n =
        (ObjectNode)
            Json.readTree(
                Json.write(
                    new CorpusChunk(
                        1, corpusId, "u-" + corpusId, 0, 1, Sha256.hex(utf8("text")), "text")));
    edit.accept(n);
    return new String(Json.write(n), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void corpusDead(
      List<Hostile> out, String key, String kind, byte[] value, String... message) {
    out.add(new Hostile("corpus:" + key, key, value, new Outcome.DeadLetter(kind, message)));
  }

  /** Bad corpus chunks: every one goes to the corpus dead-letter topic. */
  static List<Hostile> corpus() {
    List<Hostile> out = new ArrayList<>();
    corpusDead(out, "c-junk", "not-json", utf8("this is no chunk"), "not valid JSON");
    corpusDead(out, null, "not-json", utf8("a keyless line of text"), "not valid JSON");
    corpusDead(out, "c-empty", "not-json", new byte[0], "empty record");
    corpusDead(out, "c-tombstone", "not-json", null, "empty record");
    corpusDead(
        out,
        "c-b",
        "wrong-key",
        utf8(chunk("c-a", n -> {})),
        "keyed by its corpusId 'c-a', but the key is 'c-b'");
    corpusDead(
        out,
        "c-index",
        "invalid-field",
        utf8(chunk("c-index", n -> n.put("index", -1))),
        "field 'index': must be >= 0, got -1");
    corpusDead(
        out,
        "c-count",
        "invalid-field",
        utf8(chunk("c-count", n -> n.put("count", 0))),
        "field 'count': must be >= 1, got 0");
    corpusDead(
        out,
        "c-past-end",
        "invalid-field",
        utf8(chunk("c-past-end", n -> n.put("index", 5))),
        "field 'index': must be < count (1), got 5");
    corpusDead(
        out,
        "c-sha",
        "invalid-field",
        utf8(chunk("c-sha", n -> n.put("sha256", "xyz"))),
        "field 'sha256'",
        "'xyz'");
    corpusDead(
        out,
        "c-unknown",
        "invalid-field",
        utf8(chunk("c-unknown", n -> n.put("txt", "a"))),
        "unknown field 'txt'");
    corpusDead(
        out,
        "c-text-number",
        "invalid-field",
        utf8(chunk("c-text-number", n -> n.put("text", 42))),
        "field 'text': expected a string");
    byte[] bad = utf8(chunk("c-utf8", n -> n.put("text", "@")));
    bad[indexOf(bad, (byte) '@')] = (byte) 0xF0; // a 4-byte lead followed by '"'
    corpusDead(out, "c-utf8", "not-json", bad, "not valid UTF-8");
    byte[] twoMiB = new byte[2 * TopicSettings.MIB];
    Arrays.fill(twoMiB, (byte) '%');
    // Larger than a producer's default max.request.size (1 MiB), within the topic's 4 MiB: kept
    // whole.
    out.add(
        new Hostile(
            "corpus:2mib", null, twoMiB, new Outcome.DeadLetter("not-json", "not valid JSON")));
    // Fits the topic, but not its dead-letter topic once the error headers are added: cut.
    byte[] almost4MiB = new byte[4 * TopicSettings.MIB - 200];
    Arrays.fill(almost4MiB, (byte) '&');
    out.add(
        new Hostile(
            "corpus:almost-4mib",
            null,
            almost4MiB,
            new Outcome.DeadLetter("not-json", true, List.of("value cut to its first"))));
    return List.copyOf(out);
  }

  /** Bad cancel requests for {@code jobId}: ignored, so the job they name still runs to the end. */
  static List<Hostile> cancels(String jobId) {
    Outcome ignored = new Outcome.Ignored();
    return List.of(
        new Hostile("cancel:malformed", jobId, utf8("{\"schemaVersion\":1,\"jobId\":"), ignored),
        new Hostile(
            "cancel:wrong-type", jobId, utf8("{\"schemaVersion\":1,\"jobId\":42}"), ignored),
        new Hostile(
            "cancel:unknown-field",
            jobId,
            utf8("{\"schemaVersion\":1,\"jobId\":\"" + jobId + "\",\"why\":\"x\"}"),
            ignored),
        new Hostile(
            "cancel:future-version",
            jobId,
            utf8("{\"schemaVersion\":7,\"jobId\":\"" + jobId + "\"}"),
            ignored),
        new Hostile("cancel:empty", jobId, new byte[0], ignored),
        // A compacted topic takes no record without a key: the broker refuses it.
        new Hostile(
            "cancel:keyless",
            null,
            utf8("{\"schemaVersion\":1,\"jobId\":\"" + jobId + "\"}"),
            new Outcome.Refused(org.apache.kafka.common.InvalidRecordException.class)));
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) return i;
    }
    throw new IllegalArgumentException("no " + (char) b);
  }
}
