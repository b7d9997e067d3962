package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No Docker engine runs here, so the image is checked in its parts: the Dockerfile's promises
 * (multi-stage, JRE-only non-root runtime, the entrypoint), and the entrypoint script itself, run
 * with a fake cgroup tree and a stand-in for java that prints what it was given.
 */
class ImageDefinitionTest {

  private static Path deploy(String file) {
    return Kustomize.repoRoot().resolve("deploy").resolve(file);
  }

  @Test
  void dockerfileIsMultiStageWithANonRootJreRuntime() throws IOException {
    List<String> lines = instructions(Files.readString(deploy("Dockerfile")));
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).as("build stage + runtime stage").hasSize(2);
    assertThat(froms.get(0)).contains(" AS build");
    assertThat(froms.get(1))
        .as("runtime is a JRE image, no JDK, no Maven")
        .containsPattern("FROM \\S+:\\S*jre\\S*$");
    int runtimeStart = lines.indexOf(froms.get(1));
    List<String> runtime = lines.subList(runtimeStart, lines.size());
    String user =
        runtime.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    assertThat(user)
        .as("numeric non-root user, so runAsNonRoot can verify it")
        .matches("USER [1-9][0-9]*(:[1-9][0-9]*)?");
    assertThat(String.join("\n", runtime))
        .contains("COPY --from=build /src/app/target/lib/ /app/lib/")
        .contains("COPY --from=build /src/app/target/charstream.jar /app/charstream.jar")
        .contains("ENTRYPOINT [\"/usr/local/bin/charstream-entrypoint\"]")
        .contains(
            "-XX:MaxRAMPercentage=",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dorg.bytedeco.javacpp.cachedir=/tmp/");
    assertThat(String.join("\n", lines.subList(0, runtimeStart))).contains("-pl app -am package");
  }

  @Test
  void entrypointTiesThreadsAndNativeMemoryToTheCgroupV2Limits(@TempDir Path tmp) throws Exception {
    Path cg = Files.createDirectories(tmp.resolve("cg"));
    Files.writeString(cg.resolve("cpu.max"), "150000 100000\n");
    Files.writeString(cg.resolve("memory.max"), "1610612736\n");
    Map<String, String> out =
        runEntrypoint(tmp, cg, Map.of(), "generator", "--bootstrap-servers", "k:9092");
    assertThat(out).containsEntry("OMP_NUM_THREADS", "2");
    assertThat(out.get("args"))
        .contains("-Dorg.bytedeco.javacpp.maxbytes=644245094")
        .contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=1449551462")
        .contains("-XX:+UseSerialGC")
        .endsWith("-jar /app/charstream.jar generator --bootstrap-servers k:9092");
  }

  @Test
  void entrypointReadsCgroupV1AndKeepsAThreadCountThePodSets(@TempDir Path tmp) throws Exception {
    Path cg = Files.createDirectories(tmp.resolve("cg"));
    Files.createDirectories(cg.resolve("cpu"));
    Files.createDirectories(cg.resolve("memory"));
    Files.writeString(cg.resolve("cpu/cpu.cfs_quota_us"), "400000\n");
    Files.writeString(cg.resolve("cpu/cpu.cfs_period_us"), "100000\n");
    Files.writeString(cg.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");
    assertThat(runEntrypoint(tmp, cg, Map.of(), "trainer"))
        .containsEntry("OMP_NUM_THREADS", "4")
        .extractingByKey("args")
        .asString()
        .doesNotContain("maxbytes");
    assertThat(runEntrypoint(tmp, cg, Map.of("OMP_NUM_THREADS", "1"), "trainer"))
        .containsEntry("OMP_NUM_THREADS", "1");
  }

  @Test
  void entrypointFallsBackToTheVisibleCoresWithoutACpuLimit(@TempDir Path tmp) throws Exception {
    Path cg = Files.createDirectories(tmp.resolve("cg"));
    Files.writeString(cg.resolve("cpu.max"), "max 100000\n");
    Files.writeString(cg.resolve("memory.max"), "max\n");
    Map<String, String> out = runEntrypoint(tmp, cg, Map.of(), "generator");
    assertThat(Integer.parseInt(out.get("OMP_NUM_THREADS"))).isEqualTo(nproc());
    assertThat(out.get("args")).doesNotContain("maxphysicalbytes");
  }

  // ---- helpers

  /** Dockerfile instructions, continuation lines joined, comments dropped. */
  private static List<String> instructions(String dockerfile) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : dockerfile.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("#") || line.isEmpty()) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      out.add(current.toString().replaceAll("\\s+", " "));
      current.setLength(0);
    }
    return out;
  }

  /**
   * Runs deploy/docker-entrypoint.sh with a stand-in java; returns OMP_NUM_THREADS and the args.
   */
  private static Map<String, String> runEntrypoint(
      Path tmp, Path cgroup, Map<String, String> extraEnv, String... args) throws Exception {
    Path fakeJava = tmp.resolve("java");
    Files.writeString(
        fakeJava, "#!/bin/sh\necho \"OMP_NUM_THREADS=$OMP_NUM_THREADS\"\necho \"args=$*\"\n");
    Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> command =
        new ArrayList<>(List.of("sh", deploy("docker-entrypoint.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("OMP_NUM_THREADS");
    pb.environment().put("CGROUP_ROOT", cgroup.toString());
    pb.environment().put("JAVA_CMD", fakeJava.toString());
    pb.environment().put("JAVA_OPTS", "-XX:+UseSerialGC -XX:MaxRAMPercentage=25");
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    Map<String, String> result = new HashMap<>();
    for (String line : output.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        result.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return result;
  }

  private static int nproc() throws Exception {
    // GNU nproc honours OMP_NUM_THREADS, which surefire sets for the test JVM.
    ProcessBuilder pb = new ProcessBuilder("nproc");
    pb.environment().remove("OMP_NUM_THREADS");
    pb.environment().remove("OMP_THREAD_LIMIT");
    Process p = pb.start();
    String n = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor(10, TimeUnit.SECONDS);
    return Integer.parseInt(n);
  }
}
