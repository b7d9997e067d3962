package io.charstream.app.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.TrainingRequest;
import java.util.UUID;

/**
 * {@code POST /api/training}, the page's "train" form: a training request in the contract's own
 * JSON (schemas/training-request), where {@code schemaVersion} and {@code jobId} may be left out
 * (the job id then is {@code <modelId>-<8 hex>}, as {@code charstream submit} makes it). The
 * contract's strict reader checks it, so a bad field is a 400 naming it, before anything is sent.
 */
final class TrainingSubmit {
  private TrainingSubmit() {}

  static TrainingRequest parse(JsonNode body) {
    ObjectNode o = ((ObjectNode) body).deepCopy();
    if (!o.has("schemaVersion")) o.put("schemaVersion", TrainingRequest.SCHEMA_VERSION);
    if (!o.has("jobId") || o.get("jobId").isNull()) {
      JsonNode model = o.get("modelId");
      try {
        Checks.id(model == null || !model.isTextual() ? null : model.asText(), "modelId");
      } catch (InvalidFieldException e) {
        throw ApiException.invalid("modelId", e.getMessage());
      }
      o.put("jobId", model.asText() + "-" + UUID.randomUUID().toString().substring(0, 8));
    }
    try {
      return Json.fromTree(o, TrainingRequest.class);
    } catch (MessageFormatException e) {
      throw ApiException.invalid(e.field(), e.getMessage());
    }
  }
}
