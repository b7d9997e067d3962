package io.charstream.model.kernel;

import io.charstream.model.EngineOptions;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The engine's runtime: its {@link EngineOptions} (threads, kernels, layers) and the threads
 * themselves.
 *
 * <p>A fused layer splits its batch into up to {@link #threads()} slices that run the whole
 * sequence independently (the recurrences of different streams never meet), joined once per pass.
 * Slice 0 runs on the calling thread, the others on shared daemon helper threads ({@link
 * SliceThreads}: they spin briefly between passes, then park). Helper threads only call BLAS and
 * plain Java, never ND4J, whose workspaces belong to the calling thread.
 *
 * <p>The options are set once by the process's {@code Main} with {@link #configure}, read from its
 * settings by {@link EngineOptions#fromSettings} at start-up. A process that never configures them
 * (a test JVM, a library user) gets {@link EngineOptions#fromSettings} of its own system properties
 * and environment at first use, so the switches stay usable from surefire's configuration.
 */
public final class FusedRuntime {

  /** The incubating module the vector kernels need ({@code --add-modules jdk.incubator.vector}). */
  public static final String VECTOR_MODULE = "jdk.incubator.vector";

  public static final int MAX_THREADS = EngineOptions.MAX_THREADS;

  private static volatile EngineOptions options;

  private FusedRuntime() {}

  /** Sets the engine's options for this JVM; a {@code Main} calls it at start-up. */
  public static void configure(EngineOptions engineOptions) {
    options = java.util.Objects.requireNonNull(engineOptions, "engineOptions");
  }

  /** The engine's options (the process's settings unless {@link #configure}d). */
  public static EngineOptions options() {
    EngineOptions o = options;
    if (o == null) {
      o = EngineOptions.fromSettings(System.getenv(), System.getProperties());
      options = o;
    }
    return o;
  }

  /** The number of batch slices a fused layer runs in parallel. */
  public static int threads() {
    return options().threads();
  }

  /** Overrides the thread count for this JVM (1..{@value #MAX_THREADS}); tests use it. */
  public static void setThreads(int count) {
    options = options().withThreads(count);
  }

  /**
   * Whether {@link io.charstream.model.generation.FusedStep} may use OpenBLAS (it still checks
   * batch invariance first).
   */
  public static boolean generationBlas() {
    return options().generationBlas();
  }

  /**
   * Whether the fused LSTM runs its recurrence on {@link LstmVectorKernels}: the options allow it
   * and the JVM has the module {@value #VECTOR_MODULE} (else the BLAS path runs, with the same
   * results up to rounding).
   */
  public static boolean vectorKernels() {
    return options().vectorKernels() && vectorModulePresent();
  }

  /** Overrides the vector-kernel switch for this JVM (null: back to the settings); tests use it. */
  public static void setVectorKernels(Boolean enabled) {
    EngineOptions settings = EngineOptions.fromSettings(System.getenv(), System.getProperties());
    options = options().withVectorKernels(enabled == null ? settings.vectorKernels() : enabled);
  }

  /** Whether this JVM was started with the module {@value #VECTOR_MODULE}. */
  public static boolean vectorModulePresent() {
    return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
  }

  /** The thread count the process's settings give (tests restore it after overriding). */
  public static int configuredThreads() {
    return EngineOptions.fromSettings(System.getenv(), System.getProperties()).threads();
  }

  /**
   * Runs tasks[0] on this thread and the others on the runtime's helper threads; returns when all
   * are done. A failing task fails the call once every task has finished: the first failure by task
   * index is thrown as it is (RuntimeException or Error), the others added to it as suppressed. See
   * {@link SliceThreads} for the hand-off (spin, then park) and for concurrent and nested callers.
   */
  public static void runAll(Runnable[] tasks) {
    SliceThreads.runAll(tasks);
  }

  /** Runs rows [from, to) of one job. */
  @FunctionalInterface
  public interface Band<J> {
    void run(J job, int from, int to);
  }

  /**
   * Cuts each job's rows into {@code threads} bands (boundaries on multiples of {@code align} rows,
   * the last band taking what is left) and runs them with {@link #runAll}: thread t runs band t of
   * every job in list order, so a job that reads or accumulates into an earlier job's rows finds
   * them finished within its own band.
   */
  public static <J> void runBands(
      List<J> jobs, int threads, ToIntFunction<J> rows, int align, Band<J> band) {
    Runnable[] tasks = new Runnable[Math.max(1, threads)];
    for (int t = 0; t < tasks.length; t++) {
      int slice = t;
      tasks[t] =
          () -> {
            for (J job : jobs) {
              int from = bandStart(rows.applyAsInt(job), slice, tasks.length, align);
              int to = bandStart(rows.applyAsInt(job), slice + 1, tasks.length, align);
              if (from < to) {
                band.run(job, from, to);
              }
            }
          };
    }
    runAll(tasks);
  }

  private static int bandStart(int rows, int band, int bands, int align) {
    if (band == bands) {
      return rows;
    }
    int units = rows / align;
    return Math.min(rows, units * band / bands * align);
  }
}
