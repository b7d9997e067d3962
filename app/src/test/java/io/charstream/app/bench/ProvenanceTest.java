package io.charstream.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The git commit comes from the build, not from running git beside the jar. */
class ProvenanceTest {

  @Test
  void theBuildEmbedsTheCommit() {
    // This test runs from a git checkout: the build wrote a 40-hex commit into git.properties.
    assertThat(Provenance.class.getResource(Provenance.RESOURCE)).isNotNull();
    assertThat((String) Provenance.describe().get("git_commit")).matches("[0-9a-f]{40}");
    assertThat(Provenance.describe().get("git_dirty")).isInstanceOf(Boolean.class);
  }

  @Test
  void aBuildWithoutGitSaysUnknown() {
    var out = Provenance.describe(null, new Properties());
    assertThat(out.get("charstream_version")).isEqualTo("dev");
    assertThat(out.get("git_commit")).isEqualTo("unknown");
    assertThat(out.get("git_dirty")).isNull();
  }

  @Test
  void aDirtyTreeIsReported() {
    Properties git = new Properties();
    git.setProperty("git.commit.id.full", "0123456789abcdef0123456789abcdef01234567");
    git.setProperty("git.dirty", "true");
    var out = Provenance.describe("1.0", git);
    assertThat(out.get("git_commit")).isEqualTo("0123456789abcdef0123456789abcdef01234567");
    assertThat(out.get("git_dirty")).isEqualTo(true);
  }
}
