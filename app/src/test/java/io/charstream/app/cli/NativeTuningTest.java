package io.charstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeTuningTest {

  static final NativeTuning.Cpu ZEN5 = new NativeTuning.Cpu(true, true, 2);
  static final NativeTuning.Cpu HASWELL = new NativeTuning.Cpu(false, true, 4);
  static final NativeTuning.Cpu OLD = new NativeTuning.Cpu(false, false, 2);

  @Test
  void relaunchesTrainingCommandsOnlyOnceAndOnlyWhenWanted() {
    assertThat(NativeTuning.shouldRelaunch(new String[] {"train", "--text-path", "x"}, Map.of()))
        .isTrue();
    assertThat(NativeTuning.shouldRelaunch(new String[] {"bench", "train"}, Map.of())).isTrue();
    assertThat(NativeTuning.shouldRelaunch(new String[] {"generate", "--seed", "x"}, Map.of()))
        .isFalse();
    assertThat(NativeTuning.shouldRelaunch(new String[] {"train", "--help"}, Map.of())).isFalse();
    assertThat(NativeTuning.shouldRelaunch(new String[] {}, Map.of())).isFalse();
    assertThat(
            NativeTuning.shouldRelaunch(new String[] {"train"}, Map.of(NativeTuning.MARKER, "1")))
        .isFalse();
    assertThat(
            NativeTuning.shouldRelaunch(new String[] {"train"}, Map.of(NativeTuning.SWITCH, "off")))
        .isFalse();
    assertThat(
            NativeTuning.shouldRelaunch(new String[] {"train"}, Map.of(NativeTuning.SWITCH, "on")))
        .isTrue();
  }

  @Test
  void environmentFollowsTheCpuAndKeepsWhatTheUserSet() {
    assertThat(NativeTuning.environment(Map.of(), ZEN5))
        .containsEntry("OMP_NUM_THREADS", "1")
        .containsEntry("ND4J_SKIP_BLAS_THREADS", "1")
        .containsEntry("OPENBLAS_NUM_THREADS", "1")
        .containsEntry("OPENBLAS_CORETYPE", "SkylakeX")
        .containsEntry(NativeTuning.MARKER, "1");
    assertThat(NativeTuning.environment(Map.of(), HASWELL))
        .containsEntry("OPENBLAS_CORETYPE", "Haswell");
    assertThat(NativeTuning.environment(Map.of(), OLD)).doesNotContainKey("OPENBLAS_CORETYPE");
    assertThat(NativeTuning.environment(Map.of("OMP_NUM_THREADS", "2"), ZEN5))
        .doesNotContainKey("OMP_NUM_THREADS");
  }

  @Test
  void jvmOptionsAddHeapGcAndNativeBuildUnlessChosen() {
    assertThat(NativeTuning.jvmOptions(List.of(), ZEN5, NativeTuning.HEAP))
        .containsExactly(
            NativeTuning.HEAP,
            "-XX:+UseSerialGC",
            "--add-modules=jdk.incubator.vector",
            "-Dorg.bytedeco.javacpp.platform.extension=-avx512");
    assertThat(
            NativeTuning.jvmOptions(
                List.of("--add-modules", "jdk.incubator.vector"), ZEN5, NativeTuning.HEAP))
        .containsOnlyOnce("jdk.incubator.vector")
        .doesNotContain("--add-modules=jdk.incubator.vector");
    assertThat(NativeTuning.jvmOptions(List.of(), HASWELL, NativeTuning.HEAP))
        .contains("-Dorg.bytedeco.javacpp.platform.extension=-avx2");
    assertThat(NativeTuning.jvmOptions(List.of(), OLD, NativeTuning.HEAP))
        .noneMatch(o -> o.contains("platform.extension"));
    assertThat(NativeTuning.jvmOptions(List.of("-Xmx2g", "-XX:+UseG1GC"), ZEN5, NativeTuning.HEAP))
        .startsWith("-Xmx2g", "-XX:+UseG1GC")
        .doesNotContain(NativeTuning.HEAP, "-XX:+UseSerialGC");
  }

  @org.junit.jupiter.api.Test
  void commandsThatRunABrokerInProcessGetARoomierHeap() {
    assertThat(NativeTuning.heapFor(new String[] {"bench", "serve", "--text-path", "x"}))
        .isEqualTo("-Xmx1g");
    assertThat(NativeTuning.heapFor(new String[] {"bench", "train"})).isEqualTo("-Xmx160m");
    // Local training sizes the heap by the model: the reference spec keeps 160 MB.
    assertThat(NativeTuning.heapFor(new String[] {"bench", "table", "--preset", "reference"}))
        .isEqualTo("-Xmx160m");
    assertThat(NativeTuning.heapFor(new String[] {"bench", "table", "--preset", "recommended"}))
        .isEqualTo("-Xmx416m");
    assertThat(NativeTuning.heapFor(new String[] {"bench", "table", "--preset=recommended"}))
        .isEqualTo("-Xmx416m");
    // Every preset's network counts: large is 2 x LSTM 448.
    assertThat(NativeTuning.heapFor(new String[] {"bench", "table", "--preset", "LARGE"}))
        .isEqualTo("-Xmx672m");
    assertThat(
            NativeTuning.heapFor(new String[] {"train", "--preset", "fast", "--rnn-size", "128"}))
        .isEqualTo("-Xmx160m");
    assertThat(
            NativeTuning.heapFor(new String[] {"train", "--rnn-size", "512", "--text-path", "x"}))
        .isEqualTo("-Xmx736m");
    assertThat(NativeTuning.heapFor(new String[] {"train", "--rnn-size=64", "--batch-size", "x"}))
        .isEqualTo("-Xmx160m");
    assertThat(NativeTuning.heapFor(new String[] {"up"})).isEqualTo("-Xmx1g");
    // bench table --reproduce FILE sizes the heap by FILE's model (160 MB ran the large preset's
    // result out of memory in its first validation).
    assertThat(
            NativeTuning.heapFor(
                new String[] {
                  "bench",
                  "table",
                  "--reproduce",
                  "../results/tinyshakespeare-nanogpt-large.json",
                  "--text-path",
                  "x"
                }))
        .isEqualTo("-Xmx672m");
    assertThat(
            NativeTuning.heapFor(
                new String[] {
                  "bench", "table", "--reproduce=no-such-file.json", "--text-path", "x"
                }))
        .isEqualTo("-Xmx160m");
    assertThat(NativeTuning.heapFor(new String[] {"train", "--text-path", "x"}))
        .isEqualTo(NativeTuning.HEAP);
  }
}
