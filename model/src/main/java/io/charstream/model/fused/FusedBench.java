package io.charstream.model.fused;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code --mode train}: training throughput of the reference spec (Embedding 32, 2 x LSTM 128, softmax 98, batch 64 x 64,
 * Adam, global clip 5, state carried) with the stock or the fused LSTM, printed as one JSON object.
 *
 * <pre>
 * java -cp ... io.charstream.model.fused.FusedBench --mode train [--impl fused|stock] [--batches N] [--warmup N]
 * java -cp ... io.charstream.model.fused.FusedBench --mode generate [--length N]
 * </pre>
 *
 * <p>Training batches are random character ids (throughput does not depend on the text). Keys:
 * {@code impl}, {@code train_chars_per_s}, {@code batches}, {@code seconds}, {@code threads}, {@code
 * peak_rss_mb} (VmHWM of this process), {@code final_loss}. {@code --mode generate}: the engine's
 * generation step (see {@link GenerationBench}); keys {@code generate_chars_per_s_batch1}, {@code
 * generate_chars_per_s_batch64}, {@code kernel}.
 */
public final class FusedBench {

  private FusedBench() {}

  public static void main(String[] args) throws IOException {
    String impl = null;
    String mode = "train";
    int batches = 60;
    int warmup = 15;
    int length = 1024;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mode" -> mode = args[++i];
        case "--impl" -> impl = args[++i];
        case "--batches" -> batches = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--length" -> length = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: FusedBench"
            + " [--mode train|generate] [--impl fused|stock] [--batches N] [--warmup N] [--length N]");
      }
    }
    if (mode.equals("generate")) {
      if (impl != null && !impl.equals("fused")) {
        throw new IllegalArgumentException("--impl for generation must be fused (its only implementation), got "
            + impl);
      }
      FusedStep slots = FusedStep.from(GenerationBench.randomCheckpoint());
      GenerationBench.charsPerSecond(slots, 64, 128); // warm-up
      GenerationBench.charsPerSecond(slots, 1, 256);
      long cpu0 = processCpuNanos();
      double one = GenerationBench.charsPerSecond(slots, 1, length);
      long cpu1 = processCpuNanos();
      double many = GenerationBench.charsPerSecond(slots, 64, length);
      long cpu2 = processCpuNanos();
      System.out.println(String.format(Locale.ROOT, "{\"generate_chars_per_s_batch1\": %.0f,"
          + " \"generate_chars_per_s_batch64\": %.0f, \"generate_chars_per_cpu_s_batch1\": %.0f,"
          + " \"generate_chars_per_cpu_s_batch64\": %.0f, \"length\": %d, \"threads\": %d, \"kernel\": \"%s\","
          + " \"peak_rss_mb\": %.0f}",
          one, many, length / ((cpu1 - cpu0) / 1e9), 64.0 * length / ((cpu2 - cpu1) / 1e9), length,
          FusedRuntime.threads(), slots.kernel(), peakRssMb()));
      return;
    }
    if (!mode.equals("train")) {
      throw new IllegalArgumentException("--mode must be train or generate, got " + mode);
    }
    impl = impl == null ? "fused" : impl;
    if (!impl.equals("fused") && !impl.equals("stock")) {
      throw new IllegalArgumentException("--impl must be fused or stock, got " + impl);
    }
    BenchNetwork.Spec spec = BenchNetwork.Spec.reference();
    int batch = 64;
    MultiLayerNetwork net = new MultiLayerNetwork(BenchNetwork.configuration(spec, impl.equals("fused"), 1));
    net.init();
    SplittableRandom random = new SplittableRandom(7);
    double loss = Double.NaN;
    long start = 0;
    long cpuStart = 0;
    for (int it = 0; it < warmup + batches; it++) {
      if (it == warmup) {
        start = System.nanoTime();
        cpuStart = processCpuNanos();
      }
      float[] x = new float[batch * spec.seqLen()];
      float[] y = new float[batch * spec.seqLen()];
      for (int i = 0; i < x.length; i++) {
        x[i] = random.nextInt(spec.vocab());
        y[i] = random.nextInt(spec.vocab());
      }
      INDArray features = BenchNetwork.ids(x, batch, spec.seqLen());
      INDArray labels = BenchNetwork.ids(y, batch, spec.seqLen());
      loss = BenchNetwork.step(net, batch, spec.seqLen(), 5.0, it,
          BenchNetwork.standardGradient(net, features, labels));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
    double chars = (double) batches * batch * spec.seqLen();
    System.out.println(String.format(Locale.ROOT,
        "{\"impl\": \"%s\", \"train_chars_per_s\": %.0f, \"train_chars_per_cpu_s\": %.0f, \"batches\": %d,"
            + " \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"threads\": %d, \"omp_threads\": %s,"
            + " \"peak_rss_mb\": %.0f, \"final_loss\": %.4f}",
        impl, chars / seconds, chars / cpuSeconds, batches, seconds, cpuSeconds, FusedRuntime.threads(),
        Nd4j.getEnvironment().maxMasterThreads(), peakRssMb(), loss));
  }

  /**
   * CPU time of the whole process (all threads, JIT and GC included), nanoseconds: on a machine shared
   * with other work, chars per CPU-second is the steadier measure of efficiency.
   */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** VmHWM of this process in MB, or -1 where /proc is not available. */
  static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
