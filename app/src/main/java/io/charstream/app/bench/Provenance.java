package io.charstream.app.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a measured build came from, for result files: the charstream version, and the git commit
 * (and whether the working tree had uncommitted changes) the jar was built from. The build writes
 * them into {@code git.properties} (git-commit-id-maven-plugin, app/pom.xml); a build without git
 * (a source tarball) says "unknown".
 */
public final class Provenance {
  static final String RESOURCE = "/io/charstream/app/git.properties";

  private Provenance() {}

  public static Map<String, Object> describe() {
    Properties git = new Properties();
    try (InputStream in = Provenance.class.getResourceAsStream(RESOURCE)) {
      if (in != null) git.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + " from the jar", e);
    }
    return describe(Provenance.class.getPackage().getImplementationVersion(), git);
  }

  /** The provenance fields of a version and the build's git properties. */
  static Map<String, Object> describe(String version, Properties git) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("charstream_version", version == null ? "dev" : version);
    String commit = git.getProperty("git.commit.id.full");
    boolean known = commit != null && !commit.isBlank();
    out.put("git_commit", known ? commit : "unknown");
    String dirty = git.getProperty("git.dirty");
    out.put("git_dirty", known && dirty != null ? Boolean.valueOf(dirty) : null);
    return out;
  }
}
