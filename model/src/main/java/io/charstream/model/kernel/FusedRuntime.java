package io.charstream.model.kernel;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads the fused LSTM uses, and the threads themselves.
 *
 * <p>A fused layer splits its batch into up to {@link #threads()} slices that run the whole
 * sequence independently (the recurrences of different streams never meet), joined once per pass.
 * Slice 0 runs on the calling thread, the others on a shared pool of daemon threads. Pool threads
 * only call BLAS and plain Java, never ND4J, whose workspaces belong to the calling thread.
 *
 * <p>Setting: system property {@value #THREADS_PROPERTY}, else environment variable {@value
 * #THREADS_ENV}, else min(2, available processors). Values outside 1..{@value #MAX_THREADS} are
 * rejected at first use with a message naming the setting.
 */
public final class FusedRuntime {

  public static final String THREADS_PROPERTY = "charstream.fused.threads";
  public static final String THREADS_ENV = "CHARSTREAM_FUSED_THREADS";
  public static final int MAX_THREADS = 64;

  /** "false" keeps generation on the plain-Java kernel even where OpenBLAS is batch-invariant. */
  public static final String GENERATION_BLAS_PROPERTY = "charstream.fused.generation-blas";

  public static final String GENERATION_BLAS_ENV = "CHARSTREAM_FUSED_GENERATION_BLAS";

  /**
   * "false" keeps the LSTM recurrence on the BLAS path even where the Vector API module is present.
   */
  public static final String VECTOR_PROPERTY = "charstream.fused.vector";

  public static final String VECTOR_ENV = "CHARSTREAM_FUSED_VECTOR";

  /** The incubating module the vector kernels need ({@code --add-modules jdk.incubator.vector}). */
  public static final String VECTOR_MODULE = "jdk.incubator.vector";

  private static volatile Boolean vectorOverride;

  private static volatile int threads = -1;
  private static ExecutorService pool;
  private static int poolThreads;

  private FusedRuntime() {}

  /** The number of batch slices a fused layer runs in parallel. */
  public static int threads() {
    int t = threads;
    if (t < 0) {
      t = configuredThreads();
      threads = t;
    }
    return t;
  }

  /** Overrides the setting for this JVM (1..{@value #MAX_THREADS}). */
  public static void setThreads(int count) {
    threads = validate(count, "FusedRuntime.setThreads");
  }

  /**
   * Whether {@link io.charstream.model.generation.FusedStep} may use OpenBLAS (it still checks
   * batch invariance first): system property {@value #GENERATION_BLAS_PROPERTY}, else environment
   * {@value #GENERATION_BLAS_ENV}, "true" (default) or "false".
   */
  public static boolean generationBlas() {
    String value = System.getProperty(GENERATION_BLAS_PROPERTY);
    String source = "system property " + GENERATION_BLAS_PROPERTY;
    if (value == null) {
      value = System.getenv(GENERATION_BLAS_ENV);
      source = "environment variable " + GENERATION_BLAS_ENV;
    }
    if (value == null || value.isBlank()) {
      return true;
    }
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              source + " must be true or false, got '" + value + "'");
    };
  }

  /**
   * Whether the fused LSTM runs its recurrence on {@link LstmVectorKernels}: the JVM must have the
   * module {@value #VECTOR_MODULE} (else the BLAS path runs, with the same results up to rounding),
   * and neither {@link #setVectorKernels}, system property {@value #VECTOR_PROPERTY} nor
   * environment variable {@value #VECTOR_ENV} says "false".
   */
  public static boolean vectorKernels() {
    Boolean override = vectorOverride;
    if (override != null) {
      return override && vectorModulePresent();
    }
    String value = System.getProperty(VECTOR_PROPERTY);
    String source = "system property " + VECTOR_PROPERTY;
    if (value == null) {
      value = System.getenv(VECTOR_ENV);
      source = "environment variable " + VECTOR_ENV;
    }
    boolean wanted =
        value == null
            || value.isBlank()
            || switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
              case "true" -> true;
              case "false" -> false;
              default ->
                  throw new IllegalArgumentException(
                      source + " must be true or false, got '" + value + "'");
            };
    return wanted && vectorModulePresent();
  }

  /** Overrides the setting for this JVM (null: back to the configured one). */
  public static void setVectorKernels(Boolean enabled) {
    vectorOverride = enabled;
  }

  /** Whether this JVM was started with the module {@value #VECTOR_MODULE}. */
  public static boolean vectorModulePresent() {
    return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
  }

  public static int configuredThreads() {
    String property = System.getProperty(THREADS_PROPERTY);
    if (property != null) {
      return parse(property, "system property " + THREADS_PROPERTY);
    }
    String env = System.getenv(THREADS_ENV);
    if (env != null && !env.isBlank()) {
      return parse(env, "environment variable " + THREADS_ENV);
    }
    return Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
  }

  private static int parse(String value, String source) {
    try {
      return validate(Integer.parseInt(value.trim()), source);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          source + " must be an integer 1.." + MAX_THREADS + ", got '" + value + "'", e);
    }
  }

  private static int validate(int count, String source) {
    if (count < 1 || count > MAX_THREADS) {
      throw new IllegalArgumentException(source + " must be 1.." + MAX_THREADS + ", got " + count);
    }
    return count;
  }

  /** Runs tasks[0] on this thread and the rest on the pool; returns when all are done. */
  public static void runAll(Runnable[] tasks) {
    if (tasks.length == 1) {
      tasks[0].run();
      return;
    }
    ExecutorService executor = pool(tasks.length - 1);
    Future<?>[] futures = new Future<?>[tasks.length - 1];
    for (int i = 1; i < tasks.length; i++) {
      futures[i - 1] = executor.submit(tasks[i]);
    }
    RuntimeException failure = null;
    try {
      tasks[0].run();
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> future : futures) {
      try {
        future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure =
            chain(
                failure,
                new IllegalStateException("interrupted while waiting for an LSTM slice", e));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        failure =
            chain(
                failure,
                cause instanceof RuntimeException r
                    ? r
                    : new IllegalStateException("an LSTM slice failed", cause));
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static RuntimeException chain(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private static synchronized ExecutorService pool(int needed) {
    if (pool == null || poolThreads < needed) {
      if (pool != null) {
        pool.shutdown();
      }
      AtomicInteger counter = new AtomicInteger();
      pool =
          Executors.newFixedThreadPool(
              needed,
              runnable -> {
                Thread thread =
                    new Thread(runnable, "charstream-fused-" + counter.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              });
      poolThreads = needed;
    }
    return pool;
  }
}
