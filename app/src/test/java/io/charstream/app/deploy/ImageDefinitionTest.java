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
 * The image checked in its parts: the Dockerfile's promises (multi-stage, one JRE-only non-root
 * runtime stage for both the Maven build and a prebuilt jar, the entrypoint), and the entrypoint
 * script itself, run with a fake cgroup tree and a stand-in for java that prints what it was given.
 * deploy/smoke-test.sh builds and runs the real image with podman (CI runs it).
 */
class ImageDefinitionTest {

  private static Path deploy(String file) {
    return Kustomize.repoRoot().resolve("deploy").resolve(file);
  }

  @Test
  void dockerfileIsMultiStageWithANonRootJreRuntime() throws IOException {
    List<String> lines = instructions(Files.readString(deploy("Dockerfile")));
    Map<String, String> args = globalArgs(lines);
    assertThat(args.get("BUILD_IMAGE"))
        .as("the operator's default build stage: Maven on a JDK 17")
        .containsPattern("maven:\\S*17");
    assertThat(args.get("RUNTIME_IMAGE"))
        .as("runtime is a JRE image, no JDK, no Maven; fully qualified, so podman finds it too")
        .matches("docker\\.io/\\S+:\\S*jre\\S*");
    assertThat(args)
        .as("the Maven build in the image is the default")
        .containsEntry("APP_FROM", "build");
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms)
        .as("build or prebuilt -> app -> one runtime stage")
        .containsExactly(
            "FROM ${BUILD_IMAGE} AS build",
            "FROM scratch AS prebuilt",
            "FROM ${APP_FROM} AS app",
            "FROM ${RUNTIME_IMAGE}");
    String build = String.join("\n", stage(lines, froms.get(0)));
    assertThat(build)
        .contains("-pl app -am package")
        .contains("mv app/target/lib app/target/charstream.jar /out/");
    assertThat(stage(lines, froms.get(1)))
        .containsExactly(
            "COPY app/target/lib/ /out/lib/", "COPY app/target/charstream.jar /out/charstream.jar");
    List<String> runtime = stage(lines, froms.get(3));
    String user =
        runtime.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    assertThat(user)
        .as("numeric non-root user, so runAsNonRoot can verify it")
        .matches("USER [1-9][0-9]*(:[1-9][0-9]*)?");
    assertThat(String.join("\n", runtime))
        .contains("COPY --from=app /out/lib/ /app/lib/")
        .contains("COPY --from=app /out/charstream.jar /app/charstream.jar")
        .contains("linux-(arm64|armhf|ppc64le)|macosx|windows")
        .contains("ENTRYPOINT [\"/usr/local/bin/charstream-entrypoint\"]")
        .contains(
            "-XX:MaxRAMPercentage=",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dorg.bytedeco.javacpp.cachedir=/tmp/");
  }

  @Test
  void prebuiltIgnoreFileLetsThroughWhatThePrebuiltPathCopiesAndNoSources() throws IOException {
    List<String> patterns =
        Files.readAllLines(deploy("prebuilt.dockerignore")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(patterns)
        .containsExactly(
            "*", "!app/target/charstream.jar", "!app/target/lib/", "!deploy/docker-entrypoint.sh");
    assertThat(Files.readString(deploy("Dockerfile.dockerignore")))
        .as("the default build context leaves build output out")
        .contains("**/target/");
  }

  @Test
  void entrypointTiesThreadsAndNativeMemoryToTheCgroupV2Limits(@TempDir Path tmp) throws Exception {
    Path cg = Files.createDirectories(tmp.resolve("cg"));
    Files.writeString(cg.resolve("cpu.max"), "150000 100000\n");
    Files.writeString(cg.resolve("memory.max"), "1610612736\n");
    Map<String, String> out =
        runEntrypoint(tmp, cg, Map.of(), "generator", "--bootstrap-servers", "k:9092");
    assertThat(out).containsEntry("OMP_NUM_THREADS", "2");
    assertThat(out.get("charstream-entrypoint: OMP_NUM_THREADS"))
        .isEqualTo(
            "2 (CPU limit, rounded up); memory limit 1610612736 bytes: JavaCPP maxbytes"
                + " 644245094, maxphysicalbytes 1449551462");
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
        .containsEntry("OMP_NUM_THREADS", "1")
        .containsEntry(
            "charstream-entrypoint: OMP_NUM_THREADS",
            "1 (set by the environment); no memory limit: JavaCPP's defaults");
  }

  @Test
  void entrypointFallsBackToTheVisibleCoresWithoutACpuLimit(@TempDir Path tmp) throws Exception {
    Path cg = Files.createDirectories(tmp.resolve("cg"));
    Files.writeString(cg.resolve("cpu.max"), "max 100000\n");
    Files.writeString(cg.resolve("memory.max"), "max\n");
    Map<String, String> out = runEntrypoint(tmp, cg, Map.of(), "generator");
    assertThat(Integer.parseInt(out.get("OMP_NUM_THREADS"))).isEqualTo(nproc());
    assertThat(out.get("args")).doesNotContain("maxphysicalbytes");
    assertThat(out.get("charstream-entrypoint: OMP_NUM_THREADS"))
        .isEqualTo(
            nproc() + " (no CPU limit: the visible cores); no memory limit: JavaCPP's defaults");
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

  /** ARG lines before the first FROM: name to default value. */
  private static Map<String, String> globalArgs(List<String> lines) {
    Map<String, String> out = new HashMap<>();
    for (String line : lines) {
      if (line.startsWith("FROM ")) {
        break;
      }
      if (line.startsWith("ARG ") && line.contains("=")) {
        String arg = line.substring(4);
        out.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      }
    }
    return out;
  }

  /** The instructions of the stage that starts at {@code from}, up to the next FROM. */
  private static List<String> stage(List<String> lines, String from) {
    List<String> rest = lines.subList(lines.indexOf(from) + 1, lines.size());
    int next = 0;
    while (next < rest.size() && !rest.get(next).startsWith("FROM ")) {
      next++;
    }
    return rest.subList(0, next);
  }

  /**
   * Runs deploy/docker-entrypoint.sh with a stand-in java; returns its output lines as key=value
   * (OMP_NUM_THREADS and args from the stand-in, and the line the entrypoint prints itself).
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
