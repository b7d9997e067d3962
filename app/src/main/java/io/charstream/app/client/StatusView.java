package io.charstream.app.client;

import io.charstream.schemas.message.TrainingStatus;
import java.util.Locale;

/** How a status event reads for a person: one line each, and the progress bar's label. */
public final class StatusView {
  private StatusView() {}

  public static String line(TrainingStatus s) {
    String head =
        "job " + s.jobId() + (s.modelId() == null ? "" : " (model " + s.modelId() + ")") + ": ";
    if (s instanceof TrainingStatus.Accepted a) {
      return head
          + "accepted by "
          + a.workerId()
          + ", corpus "
          + a.request().corpusId()
          + ", "
          + a.request().numEpochs()
          + " epochs, seed "
          + a.request().seed()
          + (a.resumedFrom() == null
              ? ""
              : ", resumed from checkpoint v"
                  + a.resumedFrom().version()
                  + " (epoch "
                  + a.resumedFrom().epoch()
                  + ", step "
                  + a.resumedFrom().globalStep()
                  + ")");
    }
    if (s instanceof TrainingStatus.Rejected r) {
      return head + "REJECTED: " + r.reason();
    }
    if (s instanceof TrainingStatus.Progress p) {
      return head + progressLabel(p);
    }
    if (s instanceof TrainingStatus.CheckpointSaved c) {
      return head
          + String.format(
              Locale.ROOT,
              "checkpoint v%d after epoch %d: loss %.4f%s, %,d bytes",
              c.version(),
              c.epoch(),
              c.trainLoss(),
              valLoss(c.valLoss()),
              c.sizeBytes());
    }
    if (s instanceof TrainingStatus.Completed c) {
      return head
          + String.format(
              Locale.ROOT,
              "COMPLETED: model v%d after %d epochs in %.0f s, loss %.4f%s",
              c.version(),
              c.epochs(),
              c.durationSeconds(),
              c.trainLoss(),
              valLoss(c.valLoss()));
    }
    if (s instanceof TrainingStatus.Failed f) {
      return head + "FAILED (" + f.kind() + "): " + f.reason();
    }
    TrainingStatus.Cancelled c = (TrainingStatus.Cancelled) s;
    return head
        + "CANCELLED at epoch "
        + c.epoch()
        + (c.version() == null ? "" : ", last checkpoint v" + c.version())
        + (c.reason() == null ? "" : ": " + c.reason());
  }

  /** ", val loss 1.2345", or nothing without a validation loss. */
  private static String valLoss(Double valLoss) {
    return valLoss == null ? "" : String.format(Locale.ROOT, ", val loss %.4f", valLoss);
  }

  public static String progressLabel(TrainingStatus.Progress p) {
    long eta = (long) p.etaSeconds();
    return String.format(
        Locale.ROOT,
        "epoch %d/%d step %d/%d loss %.4f%s %,.0f chars/s ETA %d:%02d:%02d",
        p.epoch(),
        p.numEpochs(),
        p.step(),
        p.stepsPerEpoch(),
        p.loss(),
        p.valLoss() == null ? "" : String.format(Locale.ROOT, " val %.4f", p.valLoss()),
        p.charsPerSecond(),
        eta / 3600,
        eta / 60 % 60,
        eta % 60);
  }

  /** Fraction of the whole job done. */
  public static double fraction(TrainingStatus.Progress p) {
    return ((p.epoch() - 1) + (double) p.step() / p.stepsPerEpoch()) / p.numEpochs();
  }
}
