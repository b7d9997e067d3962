package io.charstream.app.bench;

import io.charstream.app.cli.NativeTuning;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;

/**
 * What a measurement ran on and what it cost: the machine (cores, CPU, OS, Java, native build,
 * load), this process's memory and CPU time. Every bench command reports through it.
 */
public final class Machine {

  private Machine() {}

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
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The machine's 1-minute load average, to judge how busy it was during a measurement. */
  public static double loadAverage() {
    return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100)
        / 100.0;
  }

  /** Which nd4j-native build javacpp loaded: avx512, avx2 or generic. */
  static String nativeBuild() {
    for (String path : Loader.getLoadedLibraries().values()) {
      if (path != null && path.contains("nd4jcpu")) {
        return path.contains("-avx512") ? "avx512" : path.contains("-avx2") ? "avx2" : "generic";
      }
    }
    return "unknown";
  }

  /**
   * Cores, CPU model and vector flags, OS, Java, the native build and thread settings, the load.
   */
  public static Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cores", Runtime.getRuntime().availableProcessors());
    String cpu = "unknown";
    List<String> flags = List.of();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("flags")) {
          flags =
              Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
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
    out.put("native_build", nativeBuild());
    out.putAll(NativeTuning.describe());
    out.put("load_average_1m_start", loadAverage());
    return out;
  }
}
