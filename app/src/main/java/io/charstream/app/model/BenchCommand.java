package io.charstream.app.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code charstream bench}: speed and memory of the engine, as one JSON object per run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure training or generation speed; prints one JSON object.",
    subcommands = {BenchTrainCommand.class, BenchGenerateCommand.class,
        io.charstream.app.generator.BenchServeCommand.class, io.charstream.app.trainer.BenchTrainerCommand.class,
        io.charstream.app.reliability.BenchSoakCommand.class})
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** Peak and current resident memory in MB from /proc/self/status (-1 where unavailable). */
  public static Map<String, Object> memory() {
    Map<String, Object> out = new LinkedHashMap<>();
    long peak = -1;
    long now = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          peak = kilobytes(line) / 1024;
        } else if (line.startsWith("VmRSS:")) {
          now = kilobytes(line) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: reported as -1
    }
    out.put("peak_rss_mb", peak);
    out.put("rss_mb", now);
    return out;
  }

  private static long kilobytes(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", ""));
  }

  /** CPU time of this process in nanoseconds, all threads (-1 where unavailable). */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The machine's 1-minute load average, to judge how busy it was during a measurement. */
  public static double loadAverage() {
    return Math.round(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100)
        / 100.0;
  }

  public static String json(Map<String, Object> values) {
    try {
      return new ObjectMapper().writeValueAsString(values);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
