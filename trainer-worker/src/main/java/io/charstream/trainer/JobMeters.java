package io.charstream.trainer;

import io.charstream.model.EpochResult;
import io.charstream.model.Progress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A running job's meters, tagged {@code model_id} (one job per model at a time: the model is the
 * request's key, so its partition): step, epoch, losses, trained characters, the speed-based length
 * of an epoch and when it last published a checkpoint. Updated on the training thread, read at
 * scrapes (volatile fields). {@link #close()} removes them: a model that is not training has no
 * current step, and ended models do not pile up series.
 */
final class JobMeters implements AutoCloseable {
  private final TrainerMetrics metrics;
  private final MeterRegistry registry;
  private final long charsPerStep;
  private final Counter trainedChars;
  private final List<Meter> meters = new ArrayList<>();
  private long lastGlobalStep;
  private volatile double step;
  private volatile double epoch;
  private volatile double loss = Double.NaN;
  private volatile double valLoss = Double.NaN;
  private volatile double epochSeconds;
  private volatile double lastCheckpointMillis;
  private volatile double version = Double.NaN;

  JobMeters(
      TrainerMetrics metrics, String modelId, long charsPerStep, long globalStep, long nowMillis) {
    this.metrics = metrics;
    this.registry = metrics.registry();
    this.charsPerStep = charsPerStep;
    this.lastGlobalStep = globalStep;
    this.step = globalStep;
    this.lastCheckpointMillis = nowMillis;
    String p = TrainerMetrics.P;
    gauge(p + "step", modelId, m -> m.step, "Batches trained since the job's start (global step)");
    gauge(p + "epoch", modelId, m -> m.epoch, "Epoch in progress (1-based)");
    gauge(
        p + "loss",
        modelId,
        m -> m.loss,
        "Mean training loss (nats per character) of the epoch's batches so far");
    gauge(
        p + "val.loss",
        modelId,
        m -> m.valLoss,
        "Held-out loss (nats per character) at the last epoch end; NaN before it or without one");
    gauge(
        p + "checkpoint.version",
        modelId,
        m -> m.version,
        "Version of the job's last published checkpoint");
    meters.add(
        Gauge.builder(p + "epoch.estimated", this, m -> m.epochSeconds)
            .description(
                "Seconds an epoch takes at the current speed (0 before the first progress)")
            .baseUnit("seconds")
            .tag("model_id", modelId)
            .strongReference(true)
            .register(registry));
    meters.add(
        TimeGauge.builder(
                p + "checkpoint.last.timestamp",
                this,
                TimeUnit.MILLISECONDS,
                m -> m.lastCheckpointMillis)
            .description(
                "Unix time the job last published a checkpoint, or started on this worker before its"
                    + " first")
            .tag("model_id", modelId)
            .strongReference(true)
            .register(registry));
    trainedChars =
        Counter.builder(p + "trained.chars")
            .description(
                "Characters trained on (batches x batchSize x seqLen): its rate is chars/s")
            .tag("model_id", modelId)
            .register(registry);
    meters.add(trainedChars);
  }

  private void gauge(String name, String modelId, ToDoubleFunction<JobMeters> f, String doc) {
    meters.add(
        Gauge.builder(name, this, f)
            .description(doc)
            .tag("model_id", modelId)
            .strongReference(true)
            .register(registry));
  }

  /** A progress report of the engine: step, epoch, loss, speed. */
  void progress(Progress p) {
    long delta = p.globalStep() - lastGlobalStep;
    if (delta > 0) trainedChars.increment((double) delta * charsPerStep);
    lastGlobalStep = p.globalStep();
    step = p.globalStep();
    epoch = p.epoch();
    loss = p.loss();
    if (p.charsPerSecond() > 0 && Double.isFinite(p.charsPerSecond())) {
      epochSeconds = (double) p.stepsPerEpoch() * charsPerStep / p.charsPerSecond();
    }
  }

  void epochEnd(EpochResult r) {
    loss = r.trainLoss();
    valLoss = r.valLoss();
  }

  /** A checkpoint for generators went out at {@code atMillis}. */
  void checkpointPublished(long version, long weightBytes, long nanos, long atMillis) {
    this.version = version;
    this.lastCheckpointMillis = atMillis;
    metrics.checkpointPublished(weightBytes, nanos);
  }

  /** A training-state record was written. */
  void trainingStateWritten(long bytes) {
    metrics.trainingStateWritten(bytes);
  }

  @Override
  public void close() {
    meters.forEach(registry::remove);
    meters.clear();
  }
}
