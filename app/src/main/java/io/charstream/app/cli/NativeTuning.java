package io.charstream.app.cli;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingMemory;
import io.charstream.model.TrainingPreset;
import io.charstream.model.Vocabulary;
import io.charstream.model.kernel.FusedRuntime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The fastest correct native setup for nd4j, by default. nd4j reads its thread settings from the
 * environment when its native library loads, so they must be in place before the JVM starts: a
 * command that trains re-launches the same java, class path and arguments once, with
 *
 * <ul>
 *   <li>OMP_NUM_THREADS (see {@link #ompThreads}), ND4J_SKIP_BLAS_THREADS=1 (else nd4j overrides
 *       the next one), OPENBLAS_NUM_THREADS=1: OpenMP and OpenBLAS threads otherwise fight over the
 *       cores;
 *   <li>OPENBLAS_CORETYPE=SkylakeX with AVX-512 (Haswell with AVX2): the OpenBLAS bundled with nd4j
 *       mis-detects recent CPUs as pre-AVX cores;
 *   <li>the avx512 (or avx2) build of nd4j-native, picked by javacpp's platform extension property;
 *   <li>the Vector API module ({@value #VECTOR_MODULE}) for the fused LSTM's kernels;
 *   <li>a small serial-GC heap: nd4j frees native buffers only when Java collects their owners, so
 *       a small heap that is collected often keeps the resident memory bounded.
 * </ul>
 *
 * Variables and JVM options the user already set are kept. {@value #MARKER} in the child's
 * environment prevents loops; {@value #SWITCH}=off turns the re-launch off.
 */
public final class NativeTuning {

  /** Set in the re-launched JVM's environment. */
  public static final String MARKER = "CHARSTREAM_NATIVE_TUNED";

  /** "off" (or "false", "0") disables the re-launch. */
  public static final String SWITCH = "CHARSTREAM_NATIVE_TUNING";

  /** Sub-commands that run nd4j and gain from the tuning. */
  public static final Set<String> NATIVE_COMMANDS =
      Set.of("train", "bench", "trainer", "demo", "up");

  public static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";

  /**
   * The incubating Vector API, which the fused LSTM's recurrence kernels use (about 1.8x the BLAS
   * calls they replace); the JVM prints a one-line warning about it on standard error.
   */
  public static final String VECTOR_MODULE = FusedRuntime.VECTOR_MODULE;

  /**
   * Heap per command. Local training of the reference spec needs little (160 MB; larger models get
   * more, {@link #trainingHeapMb}); a small heap is collected often, which frees nd4j's native
   * buffers early. The trainer worker refuses a request whose training would not fit in its heap
   * (less its Kafka clients' 128 MB), so its 1 GB admits every preset, the large one included
   * (about 640 MB). Demo, up and the bench commands that run a broker in-process need about 1 GB.
   * Keys are the sub-command, or the sub-command and its own sub-command ("bench serve").
   */
  public static final Map<String, String> HEAPS =
      Map.of(
          "train",
          "-Xmx160m",
          "bench",
          "-Xmx160m",
          "trainer",
          "-Xmx1g",
          "demo",
          "-Xmx1g",
          "up",
          "-Xmx1g",
          "bench serve",
          "-Xmx1g",
          "bench trainer",
          "-Xmx1g",
          "bench soak",
          "-Xmx1g");

  public static final String HEAP = HEAPS.get("train");

  private NativeTuning() {}

  /**
   * The heap option for a command line: its two-word entry, else its one-word entry, else
   * training's.
   */
  public static String heapFor(String[] args) {
    if (args.length > 1 && HEAPS.containsKey(args[0] + " " + args[1])) {
      return HEAPS.get(args[0] + " " + args[1]);
    }
    String heap = HEAPS.getOrDefault(args[0], HEAP);
    if (!heap.equals(HEAP)) {
      return heap;
    }
    int mb = trainingHeapMb(args);
    return mb == TRAINING_HEAP_MB ? HEAP : "-Xmx" + mb + "m";
  }

  /** The training heap of the reference spec (2 x LSTM 128, batch 64 x 64 characters). */
  static final int TRAINING_HEAP_MB = 160;

  /**
   * Heap for local training of the model the flags describe: the fused LSTM layers keep their
   * per-pass arrays on the Java heap, so it grows with the activations ({@link TrainingMemory}); a
   * model the size of the reference spec or smaller keeps {@value #TRAINING_HEAP_MB} MB (the
   * recommended preset, LSTM 256, ran out of 160 MB in its first validation). Flags it cannot read
   * count as their defaults (the preset's); the command itself validates them.
   */
  static int trainingHeapMb(String[] args) {
    TrainingPreset preset = TrainingPreset.REFERENCE;
    String named = flag(args, "--preset");
    try {
      preset = named == null ? preset : TrainingPreset.parse(named.trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      // the command reports the bad preset
    }
    // bench table --reproduce FILE trains the model of FILE's configuration.
    com.fasterxml.jackson.databind.JsonNode run = reproducedConfig(flag(args, "--reproduce"));
    long floats =
        TrainingMemory.activationFloats(
            run.path("batch_size").asInt(intFlag(args, "--batch-size", preset.batchSize())),
            run.path("seq_len").asInt(intFlag(args, "--seq-len", TrainingConfig.DEFAULT_SEQ_LEN)),
            run.path("embedding_size")
                .asInt(intFlag(args, "--embedding-size", ModelConfig.DEFAULT_EMBEDDING_SIZE)),
            run.path("rnn_size").asInt(intFlag(args, "--rnn-size", preset.rnnSize())),
            run.path("num_layers")
                .asInt(intFlag(args, "--num-layers", ModelConfig.DEFAULT_NUM_LAYERS)),
            Vocabulary.reference().size());
    long reference =
        TrainingMemory.activationFloats(
            TrainingConfig.DEFAULT_BATCH_SIZE,
            TrainingConfig.DEFAULT_SEQ_LEN,
            ModelConfig.DEFAULT_EMBEDDING_SIZE,
            ModelConfig.DEFAULT_RNN_SIZE,
            ModelConfig.DEFAULT_NUM_LAYERS,
            Vocabulary.reference().size());
    if (floats <= reference) {
      return TRAINING_HEAP_MB;
    }
    // In 32 MB steps.
    return (int) Math.ceil(TrainingMemory.heapBytes(floats) / (32.0 * (1 << 20))) * 32;
  }

  /**
   * The {@code config} of the result file {@code bench table --reproduce} re-runs, or a missing
   * node when there is none or it cannot be read (the command reports that).
   */
  private static com.fasterxml.jackson.databind.JsonNode reproducedConfig(String file) {
    if (file == null) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(Path.of(file.trim()).toFile())
          .path("config");
    } catch (IOException | RuntimeException e) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
  }

  private static int intFlag(String[] args, String name, int fallback) {
    String value = flag(args, name);
    try {
      return value == null ? fallback : Math.max(1, Integer.parseInt(value.trim()));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The value of {@code --name VALUE} or {@code --name=VALUE}, or null. */
  private static String flag(String[] args, String name) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith(name + "=")) {
        return args[i].substring(name.length() + 1);
      }
      if (args[i].equals(name) && i + 1 < args.length) {
        return args[i + 1];
      }
    }
    return null;
  }

  /** CPU instruction-set extensions that matter here, from /proc/cpuinfo. */
  public record Cpu(boolean avx512, boolean avx2, int cores) {
    public static Cpu detect() {
      String flags = "";
      try {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
          if (line.startsWith("flags")) {
            flags = line;
            break;
          }
        }
      } catch (IOException | RuntimeException e) {
        // Not Linux: no extension is assumed, the generic build runs.
      }
      List<String> words = List.of(flags.split("\\s+"));
      return new Cpu(
          words.contains("avx512f"),
          words.contains("avx2"),
          Runtime.getRuntime().availableProcessors());
    }
  }

  /**
   * Re-launches this JVM with the tuned environment when {@code args} name a native sub-command and
   * the tuning is neither in place nor switched off.
   *
   * @return the child's exit status, or empty when this JVM should go on itself
   */
  public static OptionalInt relaunchIfNeeded(String[] args) {
    Map<String, String> env = System.getenv();
    if (!shouldRelaunch(args, env)) {
      return OptionalInt.empty();
    }
    Optional<String> java = ProcessHandle.current().info().command();
    String mainClass = System.getProperty("sun.java.command", "").split(" ")[0];
    if (java.isEmpty() || mainClass.isEmpty()) {
      return OptionalInt.empty();
    }
    Cpu cpu = Cpu.detect();
    List<String> command = new ArrayList<>();
    command.add(java.get());
    command.addAll(
        jvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments(), cpu, heapFor(args)));
    if (mainClass.endsWith(".jar")) {
      command.add("-jar");
    } else {
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
    }
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().putAll(environment(env, cpu));
    try {
      Process child = builder.start();
      // SIGTERM to this JVM reaches the child too (Ctrl-C reaches both through the process group).
      ShutdownHook hook =
          ShutdownHook.install(
              "child",
              () -> {
                child.destroy();
                child.waitFor();
              });
      int status = child.waitFor();
      if (hook.fired()) {
        // Shutdown already in progress: the hook stops the child.
        return OptionalInt.of(143);
      }
      hook.close();
      return OptionalInt.of(status);
    } catch (IOException e) {
      System.err.println(
          "charstream: could not re-launch with the native tuning ("
              + e.getMessage()
              + "); running untuned. Set "
              + SWITCH
              + "=off to skip the attempt.");
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.of(130);
    }
  }

  public static boolean shouldRelaunch(String[] args, Map<String, String> env) {
    if (env.containsKey(MARKER)) {
      return false;
    }
    String choice = env.getOrDefault(SWITCH, "on").trim().toLowerCase(Locale.ROOT);
    if (choice.equals("off") || choice.equals("false") || choice.equals("0")) {
      return false;
    }
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h") || a.equals("--version") || a.equals("-V")) {
        return false;
      }
    }
    return args.length > 0 && NATIVE_COMMANDS.contains(args[0]);
  }

  /** One OpenMP thread: measured fastest per core, and it leaves a core for everything else. */
  public static int ompThreads(Cpu cpu) {
    return 1;
  }

  /** The variables to add; any the user set already is left as it is. */
  public static Map<String, String> environment(Map<String, String> current, Cpu cpu) {
    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put("OMP_NUM_THREADS", Integer.toString(ompThreads(cpu)));
    wanted.put("ND4J_SKIP_BLAS_THREADS", "1");
    wanted.put("OPENBLAS_NUM_THREADS", "1");
    if (cpu.avx512()) {
      wanted.put("OPENBLAS_CORETYPE", "SkylakeX");
    } else if (cpu.avx2()) {
      wanted.put("OPENBLAS_CORETYPE", "Haswell");
    }
    Map<String, String> out = new LinkedHashMap<>();
    wanted.forEach(
        (k, v) -> {
          if (!current.containsKey(k)) {
            out.put(k, v);
          }
        });
    out.put(MARKER, "1");
    return out;
  }

  /** The JVM's own options plus ours, where the user did not choose already. */
  public static List<String> jvmOptions(List<String> current, Cpu cpu, String heap) {
    List<String> out = new ArrayList<>(current);
    if (current.stream().noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("-XX:MaxRAM"))) {
      out.add(heap);
    }
    if (current.stream().noneMatch(o -> o.startsWith("-XX:+Use") && o.endsWith("GC"))) {
      out.add("-XX:+UseSerialGC");
    }
    if (current.stream().noneMatch(o -> o.contains(VECTOR_MODULE))) {
      out.add("--add-modules=" + VECTOR_MODULE);
    }
    if (current.stream().noneMatch(o -> o.startsWith("-D" + PLATFORM_EXTENSION + "="))) {
      String extension = cpu.avx512() ? "-avx512" : cpu.avx2() ? "-avx2" : "";
      if (!extension.isEmpty()) {
        out.add("-D" + PLATFORM_EXTENSION + "=" + extension);
      }
    }
    return out;
  }

  /** What the running JVM uses, for benchmarks and logs. */
  public static Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, String> env = System.getenv();
    out.put("tuned", env.containsKey(MARKER));
    for (String k :
        List.of(
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "ND4J_SKIP_BLAS_THREADS",
            "OPENBLAS_CORETYPE")) {
      out.put(k, env.getOrDefault(k, "unset"));
    }
    out.put("platform_extension", System.getProperty(PLATFORM_EXTENSION, "unset"));
    out.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    out.put("gc", ManagementFactory.getGarbageCollectorMXBeans().get(0).getName());
    return out;
  }
}
