package io.charstream.trainer.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.TrainingRequest;
import java.nio.charset.StandardCharsets;

/**
 * Reads training requests with the contract's strict JSON codec and resolves them ({@link
 * EffectiveRequest}). Not JSON: dead letter. JSON that breaks the contract, a preset that clashes
 * with the request, or a key that is not the request's modelId (the key decides the partition, and
 * the partition guarantees one job per model at a time): rejected, with the field at fault and the
 * jobId and modelId as far as they can be read.
 */
public final class JsonRequestReader implements RequestReader {
  private final String deadLetterTopic;

  /**
   * @param deadLetterTopic where unreadable records go: named in the rejection sent for them
   */
  public JsonRequestReader(String deadLetterTopic) {
    this.deadLetterTopic = deadLetterTopic;
  }

  @Override
  public Read read(byte[] keyBytes, byte[] value, int partition, long offset) {
    String key = keyBytes == null ? null : new String(keyBytes, StandardCharsets.UTF_8);
    String keyModel = validId(key);
    JsonNode tree;
    try {
      tree = Json.readTree(value);
    } catch (MessageFormatException e) {
      Rejected notice =
          keyModel == null
              ? null
              : rejected(
                  null,
                  keyModel,
                  partition,
                  offset,
                  null,
                  "unreadable training request (sent to "
                      + deadLetterTopic
                      + "): "
                      + e.getMessage());
      return new DeadLetter("not-json", e.getMessage(), notice);
    }
    TrainingRequest request;
    try {
      request = Json.fromTree(tree, TrainingRequest.class);
    } catch (MessageFormatException e) {
      String model = validId(Json.textField(tree, "modelId"));
      return rejected(
          Json.textField(tree, "jobId"),
          model != null ? model : keyModel,
          partition,
          offset,
          e.field(),
          "invalid training request: " + e.getMessage());
    }
    TrainingRequest effective;
    try {
      effective = EffectiveRequest.of(request, partition, offset);
    } catch (Rejection e) {
      return rejected(
          request.jobId(),
          request.modelId(),
          partition,
          offset,
          e.field(),
          "invalid training request: " + e.getMessage());
    }
    if (!request.modelId().equals(key)) {
      return new Rejected(
          effective.jobId(),
          request.modelId(),
          "modelId",
          "a training request must be keyed by its modelId '"
              + request.modelId()
              + "', but the key is "
              + (key == null ? "missing" : "'" + key + "'"));
    }
    return new Accepted(effective);
  }

  private static Rejected rejected(
      String jobId, String modelId, int partition, long offset, String field, String reason) {
    return new Rejected(
        EffectiveRequest.jobId(jobId, modelId, partition, offset), modelId, field, reason);
  }

  private static String validId(String s) {
    return s != null && Checks.ID.matcher(s).matches() ? s : null;
  }
}
