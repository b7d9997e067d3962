package io.charstream.observability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident set size, the figure a container's memory limit (and the OOM killer)
 * counts: the JVM heap plus nd4j's and the kernels' native buffers, which the JVM's own memory
 * meters do not see. Linux only ({@code /proc/self/status}); NaN elsewhere.
 */
final class ResidentMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ResidentMemory() {}

  /** VmRSS in bytes, or NaN where /proc is not there. */
  static double bytes() {
    try {
      return parse(Files.readString(STATUS));
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The VmRSS line of a /proc/PID/status text ("VmRSS: 123456 kB"), in bytes; NaN if none. */
  static double parse(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
        return Long.parseLong(parts[0]) * 1024.0; // the kernel reports kB (KiB)
      }
    }
    return Double.NaN;
  }
}
