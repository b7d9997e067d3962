package io.charstream.trainer;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.schemas.Sha256;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.VocabularyMode;

/** Between the engine's {@link Checkpoint} and the contract's {@link CheckpointEvent}. */
public final class CheckpointEvents {
  private CheckpointEvents() {}

  /**
   * The event of a checkpoint, its bytes inline.
   *
   * @param trainLoss the loss to report: the last finished epoch's, or the running loss mid-epoch
   */
  public static CheckpointEvent of(
      Checkpoint checkpoint,
      String modelId,
      long version,
      String jobId,
      boolean last,
      TrainingRequest training,
      double trainLoss,
      long nowMs) {
    byte[] bytes = checkpoint.toBytes();
    ModelConfig m = checkpoint.modelConfig();
    Double valLoss =
        checkpoint.metrics().map(x -> x.valLoss()).filter(Double::isFinite).orElse(null);
    return new CheckpointEvent(
        CheckpointEvent.SCHEMA_VERSION,
        modelId,
        version,
        jobId,
        checkpoint.position().epoch(),
        checkpoint.position().globalStep(),
        last,
        checkpoint.hasTrainingState(),
        nowMs,
        new CheckpointEvent.Metrics(Double.isFinite(trainLoss) ? trainLoss : 0.0, valLoss),
        new CheckpointEvent.ModelSpec(
            m.vocabSize(),
            m.embeddingSize(),
            m.rnnSize(),
            m.numLayers(),
            m.dropRate(),
            m.parameterCount()),
        training,
        new CheckpointEvent.VocabularySpec(
            "learned".equals(checkpoint.vocabulary().kind())
                ? VocabularyMode.LEARNED
                : VocabularyMode.REFERENCE,
            checkpoint.vocabulary().codePoints()),
        bytes.length,
        Sha256.hex(bytes),
        CheckpointEvent.Weights.inline(bytes, Checkpoint.FORMAT_VERSION));
  }

  /** The checkpoint inside an event, after checking its size and SHA-256. */
  public static Checkpoint decode(CheckpointEvent event) {
    byte[] bytes = event.weights().bytes();
    if (bytes.length != event.sizeBytes() || !Sha256.hex(bytes).equals(event.sha256())) {
      throw new IllegalStateException(
          "checkpoint "
              + event.modelId()
              + " v"
              + event.version()
              + " is damaged: its bytes do not match sizeBytes/sha256");
    }
    return Checkpoint.fromBytes(bytes);
  }
}
