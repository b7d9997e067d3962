package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with {@code kubectl kustomize}, the tool an operator applies it with.
 * kubectl is required: when it is missing the tests fail with the way to install it, they never
 * skip (set {@code KUBECTL} to use another binary).
 */
final class Kustomize {

  private static final long TIMEOUT_S = 60;
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Kustomize() {}

  /**
   * The repository root: the first directory upwards from the working directory with deploy/k8s.
   */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("deploy/k8s"))) {
        return p;
      }
    }
    throw new AssertionError(
        "no deploy/k8s above " + dir + ": run the tests from the charstream checkout");
  }

  /** deploy/k8s/{@code relative} of this checkout. */
  static Path k8s(String relative) {
    return repoRoot().resolve("deploy/k8s").resolve(relative);
  }

  /**
   * The kubectl binary: $KUBECTL, else the first kubectl on $PATH, else a failure that says what to
   * do.
   */
  static Path kubectl() {
    return Binaries.find(
        "KUBECTL",
        "kubectl",
        "The deploy/ tests render the manifests with `kubectl kustomize`: install it with `bash"
            + " deploy/ci-install-kubectl.sh` (as root), or point KUBECTL at a kubectl binary.");
  }

  /** Every object that {@code kubectl kustomize dir} renders, in its output order. */
  static List<ObjectNode> render(Path dir) {
    String yaml = run(List.of(kubectl().toString(), "kustomize", dir.toString()));
    return parseAll(yaml);
  }

  /** The documents of a multi-document YAML stream, each an object (empty documents dropped). */
  static List<ObjectNode> parseAll(String yaml) {
    List<ObjectNode> docs = new ArrayList<>();
    try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(yaml)) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        if (!doc.isObject()) {
          throw new AssertionError("a rendered document is not an object: " + doc);
        }
        docs.add((ObjectNode) doc);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("kubectl kustomize printed YAML that does not parse", e);
    }
    return docs;
  }

  private static String run(List<String> command) {
    try {
      Path err = Files.createTempFile("kustomize", ".err");
      try {
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        // Read stdout before waiting so a large rendering never blocks on a full pipe.
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new AssertionError(
              String.join(" ", command) + " did not finish in " + TIMEOUT_S + " s");
        }
        if (p.exitValue() != 0) {
          throw new AssertionError(
              String.join(" ", command)
                  + " failed (exit "
                  + p.exitValue()
                  + "):\n"
                  + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
  }
}
