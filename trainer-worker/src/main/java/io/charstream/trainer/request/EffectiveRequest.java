package io.charstream.trainer.request;

import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingPreset;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.TrainingRequest;
import java.nio.charset.StandardCharsets;

/**
 * What a request record resolves to: its jobId (the one derivation, for accepted and rejected
 * requests alike), its seed and its preset's values. A job picked up again (after a crash or a
 * handover) resolves the same record to the same request.
 */
public final class EffectiveRequest {
  private EffectiveRequest() {}

  /**
   * The jobId of the request at {@code partition}/{@code offset}: {@code jobId} when it is a valid
   * id, else one derived from the modelId ("unknown" when there is none) and the record's position,
   * stable across redeliveries of the same record.
   */
  public static String jobId(String jobId, String modelId, int partition, long offset) {
    if (jobId != null && Checks.ID.matcher(jobId).matches()) return jobId;
    return derivedJobId(modelId != null ? modelId : "unknown", partition, offset);
  }

  /** The jobId of a request that has none: {@code <modelId>-p<partition>-o<offset>}. */
  public static String derivedJobId(String modelId, int partition, long offset) {
    String suffix = "-p" + partition + "-o" + offset;
    String base =
        modelId.length() + suffix.length() > 128
            ? modelId.substring(0, 128 - suffix.length())
            : modelId;
    return base + suffix;
  }

  /** The seed of a request that has none: derived from the jobId, so a resumed job keeps it. */
  public static long derivedSeed(String jobId) {
    // FNV-1a over the UTF-8 bytes: stable across JVMs, unlike String.hashCode's 32 bits.
    long h = 0xcbf29ce484222325L;
    for (byte b : jobId.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h & Long.MAX_VALUE;
  }

  /**
   * The request with its jobId, seed and preset resolved: what runs, and what the accepted status
   * and the checkpoints show. A resumed job's checkpoint carries the engine's config itself.
   *
   * @throws Rejection when the preset's values clash with the request's own (a finalLearningRate
   *     above the preset's learningRate)
   */
  public static TrainingRequest of(TrainingRequest r, int partition, long offset) throws Rejection {
    TrainingRequest withId =
        r.jobId() != null ? r : r.withJobId(jobId(null, r.modelId(), partition, offset));
    TrainingRequest seeded =
        withId.seed() != null ? withId : withId.withSeed(derivedSeed(withId.jobId()));
    try {
      return withPreset(seeded);
    } catch (InvalidFieldException e) {
      throw new Rejection(e.field(), e.getMessage() + " (preset " + r.preset().json() + ")");
    }
  }

  /**
   * The one place a preset's numbers enter a request: the engine's {@link TrainingPreset} of the
   * same name fills the fields the request left out.
   */
  static TrainingRequest withPreset(TrainingRequest r) {
    if (r.preset() == null) return r;
    TrainingPreset.Merged m =
        TrainingPreset.valueOf(r.preset().name())
            .merge(
                new TrainingPreset.Explicit(
                    r.rnnSize(),
                    r.dropRate(),
                    r.batchSize(),
                    r.learningRate(),
                    r.lrSchedule() == null
                        ? null
                        : TrainingConfig.LearningRateSchedule.valueOf(r.lrSchedule().name()),
                    r.finalLearningRate(),
                    r.numEpochs()));
    return r.withPresetValues(
        m.rnnSize(),
        m.dropRate(),
        m.batchSize(),
        m.learningRate(),
        LrSchedule.valueOf(m.schedule().name()),
        m.finalLearningRate(),
        m.numEpochs());
  }
}
