package io.charstream.app.bench;

import io.charstream.generator.GeneratorService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The generator instances' loop counters at one moment, summed (from their meters), so a window of
 * a run can be told apart from the ramp: batched steps, their wall time and the characters they
 * generated, the sum of their occupancy (busy slots / capacity), committed transactions and their
 * time, and the CPU time of the whole process (broker, workers and load generator together).
 */
record WorkerCounters(
    double steps,
    double stepSeconds,
    double chars,
    double occupancySum,
    double transactions,
    double transactionSeconds,
    double processCpuSeconds) {

  static WorkerCounters of(List<GeneratorService> services) {
    double steps = 0;
    double stepSeconds = 0;
    double chars = 0;
    double occupancy = 0;
    double transactions = 0;
    double transactionSeconds = 0;
    for (GeneratorService s : services) {
      MeterRegistry r = s.meters();
      Counter c = r.find("charstream.generator.steps").counter();
      steps += c == null ? 0 : c.count();
      Timer st = r.find("charstream.generator.step.duration").timer();
      stepSeconds += st == null ? 0 : st.totalTime(TimeUnit.SECONDS);
      Counter g = r.find("charstream.generator.generated.chars").counter();
      chars += g == null ? 0 : g.count();
      DistributionSummary o = r.find("charstream.generator.batch.occupancy").summary();
      occupancy += o == null ? 0 : o.totalAmount();
      Counter t = r.find("charstream.generator.transactions").tag("outcome", "committed").counter();
      transactions += t == null ? 0 : t.count();
      Timer d = r.find("charstream.generator.transaction.duration").timer();
      transactionSeconds += d == null ? 0 : d.totalTime(TimeUnit.SECONDS);
    }
    return new WorkerCounters(
        steps,
        stepSeconds,
        chars,
        occupancy,
        transactions,
        transactionSeconds,
        Machine.processCpuNanos() / 1e9);
  }

  WorkerCounters minus(WorkerCounters earlier) {
    return new WorkerCounters(
        steps - earlier.steps,
        stepSeconds - earlier.stepSeconds,
        chars - earlier.chars,
        occupancySum - earlier.occupancySum,
        transactions - earlier.transactions,
        transactionSeconds - earlier.transactionSeconds,
        processCpuSeconds - earlier.processCpuSeconds);
  }

  WorkerCounters plus(WorkerCounters other) {
    return new WorkerCounters(
        steps + other.steps,
        stepSeconds + other.stepSeconds,
        chars + other.chars,
        occupancySum + other.occupancySum,
        transactions + other.transactions,
        transactionSeconds + other.transactionSeconds,
        processCpuSeconds + other.processCpuSeconds);
  }
}
