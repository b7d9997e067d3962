package io.charstream.app.reliability;

import io.charstream.schemas.TopicSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The hostile-input catalogue: bad records for the workers' input topics, each with the outcome
 * that docs/reliability.md promises for it. {@link HostileInputIT} sends every entry, with a valid
 * request between each two, and asserts the outcome, that the worker stays up and that every valid
 * request is answered. Keep the table in docs/reliability.md in step with this file.
 */
final class HostileInputs {

  /**
   * The limits the generator under test runs with (generator keys), which some entries overstep.
   */
  static final int PROMPT_MAX_CHARS = 64;

  static final int LENGTH_MAX = 256;

  private HostileInputs() {}

  /** What a bad record must lead to. */
  sealed interface Outcome {
    /**
     * A final response with finishReason error, keyed by {@code requestId}, with this error kind
     * and a message that contains every one of {@code message} (the field, the value, the code
     * point it is about).
     */
    record ErrorResponse(String requestId, String kind, List<String> message) implements Outcome {}

    /**
     * A rejected training status for {@code modelId}, naming {@code field} when that is not null,
     * with a reason that contains every one of {@code reason}.
     */
    record Rejected(String modelId, String field, List<String> reason) implements Outcome {}

    /**
     * Both: the original bytes on the dead-letter topic and a rejected status for the key's model,
     * whose reason and dead-letter message contain every one of {@code message}.
     */
    record DeadLetterAndRejected(String kind, String modelId, boolean cut, List<String> message)
        implements Outcome {}

    /** Nothing happens (logged and skipped): what a bad cancel request leads to. */
    record Ignored() implements Outcome {}

    /** The broker refuses the record (the producer's send fails with this exception). */
    record Refused(Class<? extends Exception> error) implements Outcome {}

    /**
     * A record on the input's dead-letter topic with this error-kind header, an error-message
     * header that contains every one of {@code message}, and the original bytes, or, when {@code
     * cut}, their head (the record would not fit the dead-letter topic with its headers).
     */
    record DeadLetter(String kind, boolean cut, List<String> message) implements Outcome {
      DeadLetter(String kind, String... message) {
        this(kind, false, List.of(message));
      }
    }
  }

  /** One bad record: its key (may be null) and raw value bytes (may be null: a tombstone). */
  record Hostile(String name, String key, byte[] value, Outcome outcome) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * The parts of {@code expected} that {@code message} lacks; all of them when {@code expected} is
   * empty (every entry must say what its message names) or {@code message} is null.
   */
  static List<String> missing(List<String> expected, String message) {
    if (expected.isEmpty()) {
      return List.of("(the catalogue entry names no expected part)");
    }
    return expected.stream().filter(part -> message == null || !message.contains(part)).toList();
  }

  /** A message for a failure report: at most 300 characters. */
  static String shown(String message) {
    return message == null || message.length() <= 300
        ? String.valueOf(message)
        : message.substring(0, 300) + "...";
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A request whose requestId (and key) is {@code id}, with {@code fields} appended. */
  private static String req(String id, String fields) {
    return "{\"schemaVersion\":1,\"requestId\":\""
        + id
        + "\""
        + (fields.isEmpty() ? "" : "," + fields)
        + "}";
  }

  /** The parts of a message that name {@code field} ("field 'length'"). */
  static String field(String name) {
    return "field '" + name + "'";
  }

  private static Hostile error(
      List<Hostile> out, String id, String json, String kind, String... message) {
    Hostile h =
        new Hostile(id, id, utf8(json), new Outcome.ErrorResponse(id, kind, List.of(message)));
    out.add(h);
    return h;
  }

  /**
   * Entries for {@code generate-requests}, the generator's input. Request ids start with {@code
   * h-}.
   */
  static List<Hostile> generateRequests() {
    List<Hostile> out = new ArrayList<>();
    String ok = "\"prompt\":\"KING\",\"length\":5";

    // Malformed JSON: the key names the request, so it still gets an error response.
    error(
        out,
        "h-truncated",
        "{\"schemaVersion\":1,\"requestId\":",
        "malformed-json",
        "not valid JSON");
    error(out, "h-array", "[\"KING\",5]", "malformed-json", "expected a JSON object, got array");
    error(out, "h-trailing", req("h-trailing", ok) + " {}", "malformed-json", "not valid JSON");
    error(
        out,
        "h-duplicate-field",
        req("h-duplicate-field", ok + ",\"prompt\":\"QUEEN\""),
        "malformed-json",
        "not valid JSON",
        "Duplicate field 'prompt'");
    error(
        out,
        "h-nan",
        req("h-nan", ok + ",\"temperature\":NaN"),
        "malformed-json",
        "not valid JSON",
        "NaN");
    error(
        out,
        "h-nested",
        "[".repeat(100_000) + "]".repeat(100_000),
        "malformed-json",
        "not valid JSON",
        "depth");
    // Wrong types: no coercion, the field is named.
    error(
        out,
        "h-length-string",
        req("h-length-string", "\"prompt\":\"KING\",\"length\":\"ten\""),
        "invalid-field",
        field("length"),
        "ten");
    error(
        out,
        "h-length-float",
        req("h-length-float", "\"prompt\":\"KING\",\"length\":10.5"),
        "invalid-field",
        field("length"),
        "10.5");
    error(
        out,
        "h-length-overflow",
        req("h-length-overflow", "\"prompt\":\"KING\",\"length\":99999999999"),
        "invalid-field",
        field("length"),
        "99999999999");
    error(
        out,
        "h-prompt-number",
        req("h-prompt-number", "\"prompt\":42"),
        "invalid-field",
        field("prompt"),
        "42");
    error(
        out,
        "h-prompt-object",
        req("h-prompt-object", "\"prompt\":{\"text\":\"KING\"}"),
        "invalid-field",
        field("prompt"));
    error(
        out,
        "h-stream-string",
        req("h-stream-string", ok + ",\"stream\":\"yes\""),
        "invalid-field",
        field("stream"),
        "yes");
    error(
        out,
        "h-stop-string",
        req("h-stop-string", ok + ",\"stop\":\"\\n\""),
        "invalid-field",
        field("stop"));
    // Missing and unknown fields, versions.
    error(
        out,
        "h-missing-prompt",
        req("h-missing-prompt", "\"length\":5"),
        "invalid-field",
        field("prompt"),
        "missing");
    out.add(
        new Hostile(
            "h-missing-request-id",
            "h-missing-request-id",
            utf8("{\"schemaVersion\":1," + ok + "}"),
            new Outcome.ErrorResponse(
                "h-missing-request-id", "invalid-field", List.of(field("requestId")))));
    error(
        out,
        "h-missing-version",
        "{\"requestId\":\"h-missing-version\"," + ok + "}",
        "invalid-field",
        field("schemaVersion"));
    error(
        out,
        "h-future-version",
        "{\"schemaVersion\":99,\"requestId\":\"h-future-version\"," + ok + "}",
        "invalid-field",
        field("schemaVersion"),
        "version 99 is not supported");
    error(
        out,
        "h-unknown-field",
        req("h-unknown-field", ok + ",\"promt\":\"KING\""),
        "invalid-field",
        "unknown field 'promt'");
    error(
        out,
        "h-unknown-field-40k",
        req("h-unknown-field-40k", ok + ",\"" + "p".repeat(40_000) + "\":1"),
        "invalid-field",
        "unknown field 'pppppppp");
    error(
        out,
        "h-unknown-field-60k",
        req("h-unknown-field-60k", ok + ",\"" + "p".repeat(60_000) + "\":1"),
        "malformed-json",
        "not valid JSON",
        "50000"); // longer than the JSON parser's name limit (50,000)
    error(
        out,
        "h-null-prompt",
        req("h-null-prompt", "\"prompt\":null"),
        "invalid-field",
        field("prompt"));
    // Values out of range: lengths, sampling options, model versions.
    error(
        out,
        "h-length-zero",
        req("h-length-zero", "\"prompt\":\"KING\",\"length\":0"),
        "length-out-of-range",
        field("length"),
        "must be >= 1, got 0");
    error(
        out,
        "h-length-negative",
        req("h-length-negative", "\"prompt\":\"KING\",\"length\":-5"),
        "length-out-of-range",
        field("length"),
        "must be >= 1, got -5");
    error(
        out,
        "h-length-huge",
        req("h-length-huge", "\"prompt\":\"KING\",\"length\":2000000000"),
        "length-out-of-range",
        field("length"),
        "2000000000 is out of range");
    error(
        out,
        "h-length-over-limit",
        req("h-length-over-limit", "\"prompt\":\"KING\",\"length\":" + (LENGTH_MAX + 1)),
        "length-out-of-range",
        field("length"),
        "257 is out of range: use 1..256");
    error(
        out,
        "h-topn-zero",
        req("h-topn-zero", ok + ",\"topN\":0"),
        "invalid-option",
        field("topN"),
        "got 0");
    error(
        out,
        "h-temperature-zero",
        req("h-temperature-zero", ok + ",\"temperature\":0"),
        "invalid-option",
        field("temperature"),
        "got 0.0");
    error(
        out,
        "h-temperature-negative",
        req("h-temperature-negative", ok + ",\"temperature\":-1e308"),
        "invalid-option",
        field("temperature"),
        "got -1.0E308");
    error(
        out,
        "h-stop-too-many",
        req("h-stop-too-many", ok + ",\"stop\":[" + "\"x\",".repeat(16) + "\"x\"]"),
        "invalid-option",
        field("stop"),
        "17 stop strings");
    error(
        out,
        "h-stop-too-long",
        req("h-stop-too-long", ok + ",\"stop\":[\"" + "x".repeat(65) + "\"]"),
        "invalid-option",
        field("stop[0]"),
        "longer than 64 characters");
    error(
        out,
        "h-stop-empty",
        req("h-stop-empty", ok + ",\"stop\":[\"\"]"),
        "invalid-option",
        field("stop[0]"),
        "must be non-empty");
    error(
        out,
        "h-model-unknown",
        req("h-model-unknown", ok + ",\"modelId\":\"no-such-model\""),
        "unknown-model",
        "unknown model 'no-such-model'");
    error(
        out,
        "h-model-version-absent",
        req("h-model-version-absent", ok + ",\"modelVersion\":99"),
        "unknown-model",
        "unknown version 99");
    error(
        out,
        "h-model-version-zero",
        req("h-model-version-zero", ok + ",\"modelVersion\":0"),
        "invalid-field",
        field("modelVersion"));
    error(
        out,
        "h-model-id-invalid",
        req("h-model-id-invalid", ok + ",\"modelId\":\"../../etc/passwd\""),
        "invalid-field",
        field("modelId"));
    // Prompts: empty, too long, characters the model never saw, invalid UTF-8.
    error(
        out,
        "h-prompt-empty",
        req("h-prompt-empty", "\"prompt\":\"\""),
        "empty-prompt",
        field("prompt"),
        "must not be empty");
    error(
        out,
        "h-prompt-too-long",
        req("h-prompt-too-long", "\"prompt\":\"" + "x".repeat(PROMPT_MAX_CHARS + 1) + "\""),
        "prompt-too-long",
        field("prompt"),
        "65 characters",
        "(64)");
    error(
        out,
        "h-prompt-900kb",
        req("h-prompt-900kb", "\"prompt\":\"" + "x".repeat(900_000) + "\""),
        "prompt-too-long",
        field("prompt"),
        "900000 characters");
    error(
        out,
        "h-prompt-unicode",
        req("h-prompt-unicode", "\"prompt\":\"caf\u00e9 \u2603 \ud83d\ude00\",\"length\":5"),
        "unknown-characters",
        "(U+00E9)",
        "(U+2603)",
        "(U+1F600)");
    error(
        out,
        "h-prompt-control",
        req("h-prompt-control", "\"prompt\":\"KING\\u0000\\u001b[2J\",\"length\":5"),
        "unknown-characters",
        "(U+0000)",
        "(U+001B)");
    error(
        out,
        "h-prompt-lone-surrogate",
        req("h-prompt-lone-surrogate", "\"prompt\":\"KING\\ud800\",\"length\":5"),
        "unknown-characters",
        "(U+D800)");
    byte[] badUtf8 = utf8(req("h-prompt-bad-utf8", "\"prompt\":\"KING@\",\"length\":5"));
    int at = new String(badUtf8, StandardCharsets.UTF_8).indexOf('@');
    badUtf8[at] = (byte) 0xC3; // a lead byte followed by '"': not UTF-8
    out.add(
        new Hostile(
            "h-prompt-bad-utf8",
            "h-prompt-bad-utf8",
            badUtf8,
            new Outcome.ErrorResponse(
                "h-prompt-bad-utf8", "malformed-json", List.of("not valid UTF-8"))));
    // Empty records: with a key they are answered, without one they are dead letters.
    out.add(
        new Hostile(
            "h-empty-keyed",
            "h-empty-keyed",
            new byte[0],
            new Outcome.ErrorResponse("h-empty-keyed", "malformed-json", List.of("empty record"))));
    // A keyed tombstone cancels the request with its key (issue 16): for an unknown request that
    // is nothing at all, no answer and no dead letter.
    out.add(new Hostile("h-tombstone-keyed", "h-tombstone-keyed", null, new Outcome.Ignored()));
    // No key and no readable requestId: nobody to answer, so the dead-letter topic.
    out.add(
        new Hostile(
            "dlq-not-json",
            null,
            utf8("KING RICHARD, not JSON"),
            new Outcome.DeadLetter("malformed-json", "not valid JSON")));
    out.add(
        new Hostile(
            "dlq-no-request-id",
            null,
            utf8("{\"schemaVersion\":1,\"prompt\":\"KING\"}"),
            new Outcome.DeadLetter("invalid-field", field("requestId"))));
    out.add(
        new Hostile(
            "dlq-bad-request-id",
            null,
            utf8(req("a b/../c", ok)),
            new Outcome.DeadLetter(
                "invalid-field", field("requestId"), "'a b/../c' is not a valid id")));
    out.add(
        new Hostile(
            "dlq-empty",
            null,
            new byte[0],
            new Outcome.DeadLetter("malformed-json", "empty record")));
    out.add(
        new Hostile(
            "dlq-tombstone", null, null, new Outcome.DeadLetter("malformed-json", "empty record")));
    byte[] almostMiB = new byte[TopicSettings.MIB - 200];
    Arrays.fill(almostMiB, (byte) '#');
    out.add(
        new Hostile(
            "dlq-almost-1mib",
            null,
            almostMiB,
            new Outcome.DeadLetter("malformed-json", true, List.of("value cut to its first"))));
    out.add(
        new Hostile(
            "dlq-binary",
            null,
            new byte[] {0, (byte) 0xFF, (byte) 0xFE, 1, 2, 3},
            new Outcome.DeadLetter("malformed-json", "not valid UTF-8")));
    return List.copyOf(out);
  }
}
