package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * One training job as the console shows it: its latest state and its two loss curves, built from
 * the job's events on {@code charstream.training-status} in order. Not thread-safe: {@link
 * ConsoleState} owns it.
 *
 * <p>Curves: the training loss of every progress event at x = epochs done (fractional: epoch - 1 +
 * step / stepsPerEpoch), the held-out loss of every checkpoint at x = its epoch. The topic is
 * compacted, so a job read long after it ended may have only its last events left: then its curve
 * has what is left.
 */
final class JobView {
  /** Points kept per curve; past it every other point is dropped (the shape stays). */
  static final int MAX_POINTS = 2000;

  /** A curve point: x in epochs, y a loss in nats per character. */
  record Point(double x, double y) {}

  /** What one event added to the curves. */
  record Added(List<Point> train, List<Point> val) {
    boolean isEmpty() {
      return train.isEmpty() && val.isEmpty();
    }
  }

  private final String jobId;
  private String modelId;
  private String state;
  private long updatedAtMs;
  private TrainingRequest request;
  private String workerId;
  private TrainingStatus.ResumePoint resumedFrom;
  private TrainingStatus.Progress progress;
  private Double valLoss;
  private Double loss;
  private Long version;
  private String reason;
  private Double durationSeconds;
  private final List<Point> train = new ArrayList<>();
  private final List<Point> val = new ArrayList<>();

  JobView(String jobId) {
    this.jobId = jobId;
  }

  /** Applies the job's next event; returns the curve points it added. */
  Added apply(TrainingStatus s) {
    if (s.modelId() != null) modelId = s.modelId();
    state = s.type();
    updatedAtMs = s.timestampMs();
    List<Point> t = new ArrayList<>();
    List<Point> v = new ArrayList<>();
    if (s instanceof TrainingStatus.Accepted a) {
      request = a.request();
      workerId = a.workerId();
      resumedFrom = a.resumedFrom();
      reason = null;
    } else if (s instanceof TrainingStatus.Rejected r) {
      reason = r.field() == null ? r.reason() : r.field() + ": " + r.reason();
    } else if (s instanceof TrainingStatus.Progress p) {
      progress = p;
      loss = p.loss();
      if (p.valLoss() != null) valLoss = p.valLoss();
      addPoint(train, t, (p.epoch() - 1) + (double) p.step() / p.stepsPerEpoch(), p.loss());
    } else if (s instanceof TrainingStatus.CheckpointSaved c) {
      version = c.version();
      if (c.valLoss() != null) {
        valLoss = c.valLoss();
        addValPoint(v, c.epoch(), c.valLoss());
      }
    } else if (s instanceof TrainingStatus.Completed c) {
      version = c.version();
      loss = c.trainLoss();
      durationSeconds = c.durationSeconds();
      if (c.valLoss() != null) {
        valLoss = c.valLoss();
        addValPoint(v, c.epochs(), c.valLoss());
      }
    } else if (s instanceof TrainingStatus.Failed f) {
      reason = f.kind() + ": " + f.reason();
    } else if (s instanceof TrainingStatus.Cancelled c) {
      if (c.version() != null) version = c.version();
      reason = c.reason();
    }
    return new Added(t, v);
  }

  private static void addPoint(List<Point> curve, List<Point> added, double x, double y) {
    if (!Double.isFinite(x) || !Double.isFinite(y)) return; // a diverged job's NaN loss
    Point p = new Point(x, y);
    curve.add(p);
    added.add(p);
    if (curve.size() > MAX_POINTS) {
      // Keep the first and the latest, and every other point between them.
      List<Point> kept = new ArrayList<>();
      for (int i = 0; i < curve.size(); i++)
        if (i % 2 == 0 || i == curve.size() - 1) kept.add(curve.get(i));
      curve.clear();
      curve.addAll(kept);
    }
  }

  /** One held-out point per epoch: a second event for the same epoch replaces the first. */
  private void addValPoint(List<Point> added, int epoch, double y) {
    if (!Double.isFinite(y)) return;
    val.removeIf(p -> p.x() == epoch);
    Point p = new Point(epoch, y);
    val.add(p);
    val.sort((a, b) -> Double.compare(a.x(), b.x()));
    added.add(p);
  }

  String jobId() {
    return jobId;
  }

  long updatedAtMs() {
    return updatedAtMs;
  }

  List<Point> trainCurve() {
    return List.copyOf(train);
  }

  List<Point> valCurve() {
    return List.copyOf(val);
  }

  /** The job's state as JSON; with {@code curves}, its whole curves too. */
  ObjectNode toJson(boolean curves) {
    ObjectNode j = HttpIo.JSON.createObjectNode();
    j.put("jobId", jobId);
    j.put("modelId", modelId);
    j.put("state", state);
    j.put("updatedAtMs", updatedAtMs);
    if (workerId != null) j.put("workerId", workerId);
    if (request != null) {
      j.put("corpusId", request.corpusId());
      j.set("request", HttpIo.JSON.valueToTree(request));
      if (request.numEpochs() != null) j.put("numEpochs", request.numEpochs());
    }
    if (resumedFrom != null) j.set("resumedFrom", HttpIo.JSON.valueToTree(resumedFrom));
    if (progress != null) {
      j.put("epoch", progress.epoch());
      j.put("numEpochs", progress.numEpochs());
      j.put("step", progress.step());
      j.put("stepsPerEpoch", progress.stepsPerEpoch());
      j.put("globalStep", progress.globalStep());
      j.put("charsPerSecond", progress.charsPerSecond());
      j.put("etaSeconds", progress.etaSeconds());
      j.put("elapsedSeconds", progress.elapsedSeconds());
    }
    if (durationSeconds != null) j.put("elapsedSeconds", durationSeconds);
    putFinite(j, "loss", loss);
    putFinite(j, "valLoss", valLoss);
    if (version != null) j.put("version", version);
    if (reason != null) j.put("reason", reason);
    if (curves) {
      j.set("train", points(train));
      j.set("val", points(val));
    }
    return j;
  }

  static ArrayNode points(List<Point> points) {
    ArrayNode a = HttpIo.JSON.createArrayNode();
    for (Point p : points) a.addArray().add(p.x()).add(p.y());
    return a;
  }

  private static void putFinite(ObjectNode j, String field, Double value) {
    if (value != null && Double.isFinite(value)) j.put(field, value);
  }
}
