package io.charstream.app.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.charstream.app.cli.NativeTuning;
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
    subcommands = {
      BenchTrainCommand.class,
      BenchGenerateCommand.class,
      BenchTableCommand.class,
      io.charstream.app.bench.BenchServeCommand.class,
      io.charstream.app.bench.BenchTrainerCommand.class,
      io.charstream.app.bench.BenchSoakCommand.class
    })
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
    return Math.round(
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()
                * 100)
        / 100.0;
  }

  /**
   * Where a measurement's code came from: the charstream version, and the git commit (and whether
   * the working tree had uncommitted changes) of the checkout the jar was built in, when it is one.
   */
  public static Map<String, Object> provenance() {
    Map<String, Object> out = new LinkedHashMap<>();
    String version = BenchCommand.class.getPackage().getImplementationVersion();
    out.put("charstream_version", version == null ? "dev" : version);
    Path dir = codeLocation();
    String commit = dir == null ? null : git(dir, "rev-parse", "HEAD");
    out.put("git_commit", commit == null ? "unknown" : commit);
    String status =
        commit == null ? null : git(dir, "status", "--porcelain", "--untracked-files=no");
    out.put("git_dirty", status == null ? null : !status.isEmpty());
    return out;
  }

  /**
   * Cores, CPU model and vector flags, OS, Java, the native build and thread settings, the load.
   */
  public static Map<String, Object> machine() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cores", Runtime.getRuntime().availableProcessors());
    String cpu = "unknown";
    java.util.List<String> flags = java.util.List.of();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("flags")) {
          flags =
              java.util.Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                  .filter(f -> f.startsWith("avx") || f.startsWith("fma") || f.startsWith("sse4"))
                  .sorted()
                  .toList();
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: left as unknown
    }
    out.put("cpu", cpu);
    out.put("cpu_flags", flags);
    out.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    out.put(
        "java",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    out.put("native_build", BenchTrainCommand.nativeBuild());
    out.putAll(NativeTuning.describe());
    out.put("load_average_1m_start", loadAverage());
    return out;
  }

  private static Path codeLocation() {
    try {
      Path p =
          Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isDirectory(p) ? p : p.getParent();
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * One line of git's output in {@code dir}, "" for no output, null when git is missing or fails.
   */
  private static String git(Path dir, String... args) {
    java.util.List<String> command =
        new java.util.ArrayList<>(java.util.List.of("git", "-C", dir.toString()));
    command.addAll(java.util.List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(false)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String output =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .trim();
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return null;
      }
      return output;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  public static String json(Map<String, Object> values) {
    try {
      return new ObjectMapper().writeValueAsString(values);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
