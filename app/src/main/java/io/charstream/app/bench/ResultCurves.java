package io.charstream.app.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss curves of one {@code bench table} result file (results/README.md): what ran, and per
 * epoch the training and held-out loss (nats per character) and the wall time since the start.
 *
 * @param system {@code charstream} or {@code pytorch}
 * @param preset the preset (or an experiment's description)
 * @param corpus the corpus name
 * @param valSplit {@code blocks} or {@code tail}
 * @param epochs the curve, in epoch order
 */
record ResultCurves(
    String system, String preset, String corpus, String valSplit, List<Epoch> epochs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One epoch's row.
   *
   * @param valLoss NaN when the run held nothing out ({@code "val_loss": null})
   * @param elapsedSeconds wall time since the run started, validation included
   */
  record Epoch(int epoch, double trainLoss, double valLoss, double elapsedSeconds) {}

  ResultCurves {
    epochs = List.copyOf(epochs);
  }

  /** "charstream recommended, tinyshakespeare, blocks split". */
  String label() {
    return system + " " + preset + ", " + corpus + ", " + valSplit + " split";
  }

  /** The epoch with the lowest held-out loss, or null when none was measured. */
  Epoch bestHeldOut() {
    Epoch best = null;
    for (Epoch e : epochs) {
      if (!Double.isNaN(e.valLoss()) && (best == null || e.valLoss() < best.valLoss())) {
        best = e;
      }
    }
    return best;
  }

  /**
   * Reads {@code file}; a file that is not a result file is a user error naming what is missing.
   */
  static ResultCurves read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserError("no such result file: " + file);
    }
    JsonNode r;
    try {
      r = JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw notAResult(file, "it is not JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new UserError("cannot read " + file + ": " + Commands.describe(e), e);
    }
    return of(file.toString(), r);
  }

  /** The curves of the parsed result {@code r}, read from {@code source}. */
  static ResultCurves of(String source, JsonNode r) {
    if (r == null || !r.isObject()) {
      throw notAResult(source, "it is not a JSON object");
    }
    List<String> missing = new ArrayList<>();
    String system = text(r, "system", missing);
    String preset = text(r, "preset", missing);
    String corpus = text(r, "corpus.name", missing);
    String valSplit = text(r, "config.val_split", missing);
    JsonNode rows = r.path("epochs");
    if (!rows.isArray() || rows.isEmpty()) {
      missing.add("epochs[] (one row per epoch)");
    }
    if (!missing.isEmpty()) {
      throw notAResult(source, "it has no " + String.join(", no ", missing));
    }
    List<Epoch> epochs = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode e = rows.get(i);
      List<String> absent = new ArrayList<>();
      for (String key : List.of("epoch", "train_loss", "elapsed_s")) {
        if (!e.path(key).isNumber()) {
          absent.add(key);
        }
      }
      if (!e.has("val_loss") || !(e.get("val_loss").isNumber() || e.get("val_loss").isNull())) {
        absent.add("val_loss");
      }
      if (!absent.isEmpty()) {
        throw notAResult(source, "epochs[" + i + "] has no number " + String.join(", ", absent));
      }
      epochs.add(
          new Epoch(
              e.get("epoch").asInt(),
              e.get("train_loss").asDouble(),
              e.get("val_loss").isNull() ? Double.NaN : e.get("val_loss").asDouble(),
              e.get("elapsed_s").asDouble()));
    }
    return new ResultCurves(system, preset, corpus, valSplit, epochs);
  }

  /** The text at {@code key} ("corpus.name"), or null with {@code key} added to missing. */
  private static String text(JsonNode r, String key, List<String> missing) {
    JsonNode v = r.at("/" + key.replace('.', '/'));
    if (!v.isTextual() || v.asText().isEmpty()) {
      missing.add(key);
      return null;
    }
    return v.asText();
  }

  private static UserError notAResult(Object source, String what) {
    return new UserError(
        source
            + " is not a bench table result file: "
            + what
            + " (the format is in results/README.md)");
  }
}
