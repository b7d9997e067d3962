package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import java.util.List;

/**
 * A text generation request, on {@code charstream.generate-requests} keyed by requestId. Absent
 * fields take their defaults here. The contract checks types and always-wrong values; the generator
 * applies its configured limits (prompt length, max length) and answers with an error response.
 *
 * @param prompt the seed text; generation continues it
 * @param length characters to generate (default 1024, as the reference)
 * @param topN sample among the n most probable characters (default 3, the reference's sampling)
 * @param temperature softmax temperature (default 1.0)
 * @param randomSeed same model + prompt + options + seed = same text; null lets the worker pick
 * @param modelId null = the generator's default model
 * @param modelVersion null = the latest checkpoint of the model
 * @param stop generation ends early after any of these strings
 * @param stream send chunks as they are generated before the final response
 * @param timeoutMs null = no deadline; else milliseconds from the record's timestamp after which
 *     the request is answered as it stands: a queued one with error {@code deadline-exceeded}, a
 *     running one with finishReason {@code deadline} and its text so far
 * @param priority interactive (null: the default) or batch: which requests free slots go to first
 * @param n samples of the prompt (null: 1); the response's choices carry each, choice i drawn with
 *     randomSeed + i
 * @param logprobs 0..5 (null: 0): per generated character its log-probability and this many most
 *     probable alternatives
 */
public record GenerateRequest(
    int schemaVersion,
    String requestId,
    String prompt,
    Integer length,
    Integer topN,
    Double temperature,
    Long randomSeed,
    String modelId,
    Long modelVersion,
    List<String> stop,
    Boolean stream,
    Long timeoutMs,
    Priority priority,
    Integer n,
    Integer logprobs) {
  public static final int SCHEMA_VERSION = 1;
  public static final int DEFAULT_LENGTH = 1024;
  public static final int DEFAULT_TOP_N = 3;
  public static final double DEFAULT_TEMPERATURE = 1.0;

  /** Most alternatives per character a request may ask for ({@code logprobs}). */
  public static final int MAX_LOGPROBS = 5;

  public GenerateRequest {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(requestId, "requestId");
    Checks.required(prompt, "prompt");
    length = (int) Checks.atLeast(length == null ? DEFAULT_LENGTH : length, 1, "length");
    topN = (int) Checks.atLeast(topN == null ? DEFAULT_TOP_N : topN, 1, "topN");
    temperature =
        Checks.positive(temperature == null ? DEFAULT_TEMPERATURE : temperature, "temperature");
    Checks.optionalId(modelId, "modelId");
    if (modelVersion != null) Checks.atLeast(modelVersion, 1, "modelVersion");
    stop = stop == null ? List.of() : stop;
    for (int i = 0; i < stop.size(); i++) {
      if (stop.get(i) == null || stop.get(i).isEmpty()) {
        throw new InvalidFieldException("stop[" + i + "]", "stop strings must be non-empty");
      }
    }
    stop = List.copyOf(stop);
    stream = stream != null && stream;
    if (timeoutMs != null) Checks.atLeast(timeoutMs, 1, "timeoutMs");
    if (n != null) Checks.atLeast(n, 1, "n");
    if (logprobs != null && (logprobs < 0 || logprobs > MAX_LOGPROBS)) {
      throw new InvalidFieldException(
          "logprobs", logprobs + " is out of range: use 0.." + MAX_LOGPROBS);
    }
    // priority stays null when absent (interactive): written back, the request stays readable by
    // generators older than the field.
  }

  /** A request with every default but the prompt. */
  public static GenerateRequest of(String requestId, String prompt) {
    return builder(requestId, prompt).build();
  }

  /** A request for {@code length} characters drawn with {@code randomSeed}; the rest defaults. */
  public static GenerateRequest of(String requestId, String prompt, int length, long randomSeed) {
    return builder(requestId, prompt).length(length).randomSeed(randomSeed).build();
  }

  /**
   * A builder of a request for {@code prompt} at the current schema version; the fields it is not
   * given stay absent, so they take their defaults.
   */
  public static Builder builder(String requestId, String prompt) {
    Builder b = new Builder();
    b.requestId = requestId;
    b.prompt = prompt;
    return b;
  }

  /** A builder starting from this request. */
  public Builder toBuilder() {
    Builder b = builder(requestId, prompt);
    b.schemaVersion = schemaVersion;
    b.length = length;
    b.topN = topN;
    b.temperature = temperature;
    b.randomSeed = randomSeed;
    b.modelId = modelId;
    b.modelVersion = modelVersion;
    b.stop = stop;
    b.stream = stream;
    b.timeoutMs = timeoutMs;
    b.priority = priority;
    b.n = n;
    b.logprobs = logprobs;
    return b;
  }

  /** Builds a request field by field; {@link #build} validates it. */
  public static final class Builder {
    private int schemaVersion = SCHEMA_VERSION;
    private String requestId;
    private String prompt;
    private Integer length;
    private Integer topN;
    private Double temperature;
    private Long randomSeed;
    private String modelId;
    private Long modelVersion;
    private List<String> stop;
    private Boolean stream;
    private Long timeoutMs;
    private Priority priority;
    private Integer n;
    private Integer logprobs;

    private Builder() {}

    public Builder requestId(String value) {
      requestId = value;
      return this;
    }

    public Builder length(Integer value) {
      length = value;
      return this;
    }

    public Builder topN(Integer value) {
      topN = value;
      return this;
    }

    public Builder temperature(Double value) {
      temperature = value;
      return this;
    }

    public Builder randomSeed(Long value) {
      randomSeed = value;
      return this;
    }

    /** The model and its version (null: the generator's default model, its latest version). */
    public Builder model(String id, Long version) {
      modelId = id;
      modelVersion = version;
      return this;
    }

    public Builder stop(List<String> value) {
      stop = value;
      return this;
    }

    public Builder stream(Boolean value) {
      stream = value;
      return this;
    }

    public Builder timeoutMs(Long value) {
      timeoutMs = value;
      return this;
    }

    public Builder priority(Priority value) {
      priority = value;
      return this;
    }

    public Builder n(Integer value) {
      n = value;
      return this;
    }

    public Builder logprobs(Integer value) {
      logprobs = value;
      return this;
    }

    public GenerateRequest build() {
      return new GenerateRequest(
          schemaVersion,
          requestId,
          prompt,
          length,
          topN,
          temperature,
          randomSeed,
          modelId,
          modelVersion,
          stop,
          stream,
          timeoutMs,
          priority,
          n,
          logprobs);
    }
  }
}
