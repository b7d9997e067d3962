package io.charstream.app.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time per thread of this process at one moment, so a window can say where the CPU went (the
 * engine's step, the worker's loop, the broker, the load generator). Thread names are grouped with
 * their digits replaced by N; what the process spent outside its Java threads (the JIT compilers,
 * the garbage collector, the VM) is the group {@value #JVM}.
 */
final class ThreadCpu {

  /** The group of the process CPU not spent in a Java thread. */
  static final String JVM = "jvm (JIT, GC, VM)";

  private final Map<Long, Long> nanosById = new HashMap<>();
  private long processNanos;
  private final Map<Long, String> nameById = new HashMap<>();

  static ThreadCpu now() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    ThreadCpu t = new ThreadCpu();
    t.processNanos = Machine.processCpuNanos();
    if (!mx.isThreadCpuTimeSupported()) {
      return t;
    }
    for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long cpu = mx.getThreadCpuTime(info.getThreadId());
      if (cpu >= 0) {
        t.nanosById.put(info.getThreadId(), cpu);
        t.nameById.put(info.getThreadId(), info.getThreadName());
      }
    }
    return t;
  }

  /**
   * CPU nanoseconds per thread group from {@code earlier} to this snapshot (what the process spent
   * outside its Java threads as {@value #JVM}); windows apart add up with {@link Map#merge}.
   */
  Map<String, Long> nanosSince(ThreadCpu earlier) {
    Map<String, Long> byGroup = new HashMap<>();
    long threads = 0;
    for (Map.Entry<Long, Long> e : nanosById.entrySet()) {
      long spent = e.getValue() - earlier.nanosById.getOrDefault(e.getKey(), 0L);
      byGroup.merge(nameById.get(e.getKey()).replaceAll("[0-9]+", "N"), spent, Long::sum);
      threads += spent;
    }
    if (processNanos > 0 && earlier.processNanos > 0) {
      byGroup.put(JVM, Math.max(0, processNanos - earlier.processNanos - threads));
    }
    return byGroup;
  }

  /**
   * CPU nanoseconds per thread group as a share of {@code seconds} of wall time (1.0 = one core
   * busy), the largest {@code top} groups first.
   */
  static Map<String, Double> cores(Map<String, Long> nanosByGroup, double seconds, int top) {
    Map<String, Double> out = new LinkedHashMap<>();
    nanosByGroup.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(
            e -> out.put(e.getKey(), BenchServeCommand.round(e.getValue() / 1e9 / seconds, 3)));
    return out;
  }
}
