package io.charstream.app.broker;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What {@code charstream broker --secure DIR} keeps in DIR: a throwaway CA ({@code ca.crt}; its key
 * is discarded once it has signed the broker's certificate), the broker's key and certificate
 * ({@code broker.p12}, PKCS12, for 127.0.0.1 and localhost), the random passwords of the keystore
 * and of every KafkaUser ({@code secrets.properties}), and one Kafka client properties file per
 * KafkaUser ({@code trainer.properties}, {@code generator.properties}, {@code keda.properties},
 * {@code client.properties}: SASL_SSL, SCRAM-SHA-512, the user's JAAS line, the CA as a PEM
 * truststore). Everything is made with the JDK alone (keytool); a DIR made once keeps its
 * certificates and passwords, so restarting the broker does not invalidate the files handed out.
 * Files holding a secret are readable by their owner only; no password is ever logged.
 */
public final class LocalSecurity {
  /** The principal the broker itself uses on its internal and controller listeners: a superuser. */
  public static final String BROKER_USER = "charstream-broker";

  public static final String MECHANISM = "SCRAM-SHA-512";
  static final String CA_FILE = "ca.crt";
  static final String KEYSTORE_FILE = "broker.p12";
  static final String SECRETS_FILE = "secrets.properties";
  private static final String KEYSTORE_PASSWORD = "keystore.password";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final List<KafkaUsers.User> users;
  private final Map<String, String> passwords;
  private final String keystorePassword;
  // The broker's own password: new on every start, in memory only.
  private final String brokerPassword = randomPassword();

  private LocalSecurity(
      Path dir, List<KafkaUsers.User> users, Map<String, String> passwords, String keystore) {
    this.dir = dir;
    this.users = List.copyOf(users);
    this.passwords = Map.copyOf(passwords);
    this.keystorePassword = keystore;
  }

  /**
   * Makes DIR ready: creates it, the passwords that are missing and, unless both exist, the CA and
   * the broker's keystore. Throws {@link BrokerStartException} saying what failed.
   */
  public static LocalSecurity prepare(Path dir, List<KafkaUsers.User> users) {
    Path abs = dir.toAbsolutePath();
    try {
      if (!Files.isDirectory(abs)) {
        Files.createDirectories(abs);
        ownerOnly(abs, "rwx------");
      }
      Path secretsFile = abs.resolve(SECRETS_FILE);
      Properties secrets = new Properties();
      if (Files.exists(secretsFile)) {
        try (Reader r = Files.newBufferedReader(secretsFile, StandardCharsets.UTF_8)) {
          secrets.load(r);
        }
      }
      boolean changed = false;
      if (secrets.getProperty(KEYSTORE_PASSWORD) == null) {
        secrets.setProperty(KEYSTORE_PASSWORD, randomPassword());
        changed = true;
      }
      Map<String, String> passwords = new LinkedHashMap<>();
      for (KafkaUsers.User u : users) {
        String key = "user." + u.name() + ".password";
        if (secrets.getProperty(key) == null) {
          secrets.setProperty(key, randomPassword());
          changed = true;
        }
        passwords.put(u.name(), secrets.getProperty(key));
      }
      if (changed) {
        writeSecret(
            secretsFile,
            w ->
                secrets.store(
                    w,
                    "charstream broker --secure: passwords of this directory (owner-only; do not"
                        + " share)"));
      }
      LocalSecurity s =
          new LocalSecurity(abs, users, passwords, secrets.getProperty(KEYSTORE_PASSWORD));
      if (!Files.exists(s.caFile()) || !Files.exists(s.keystore())) s.makeCertificates();
      return s;
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot prepare the secure broker directory " + abs + ": " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** The CA certificate (PEM) clients trust. */
  public Path caFile() {
    return dir.resolve(CA_FILE);
  }

  /** The broker's PKCS12 keystore. */
  public Path keystore() {
    return dir.resolve(KEYSTORE_FILE);
  }

  String keystorePassword() {
    return keystorePassword;
  }

  String brokerPassword() {
    return brokerPassword;
  }

  public List<KafkaUsers.User> users() {
    return users;
  }

  String password(String user) {
    String p = passwords.get(user);
    if (p == null) throw new IllegalArgumentException("no KafkaUser named " + user);
    return p;
  }

  /**
   * The client properties file of {@code user}: its name without the {@code charstream-} prefix,
   * {@code .properties} ({@code charstream-trainer} -> {@code trainer.properties}).
   */
  public Path propertiesFile(String user) {
    return dir.resolve(user.replaceFirst("^charstream-", "") + ".properties");
  }

  /** Kafka client properties of {@code user} for {@code bootstrap}: what its file holds. */
  public Map<String, Object> clientProps(String user, String bootstrap) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", MECHANISM);
    p.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + user
            + "\" password=\""
            + password(user)
            + "\";");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", caFile().toString());
    return p;
  }

  /** Writes one properties file per user (owner-only), pointing at {@code bootstrap}. */
  void writeClientProperties(String bootstrap) {
    for (KafkaUsers.User u : users) {
      Path file = propertiesFile(u.name());
      StringBuilder sb =
          new StringBuilder()
              .append("# Kafka client settings of KafkaUser ")
              .append(u.name())
              .append(" on the broker of charstream broker --secure ")
              .append(dir)
              .append(
                  "\n# (SCRAM-SHA-512 over TLS; its ACLs are those of deploy/k8s/strimzi/users.yaml)."
                      + "\n# Use: --client-config ")
              .append(file)
              .append('\n');
      clientProps(u.name(), bootstrap)
          .forEach(
              (k, v) ->
                  sb.append(k).append('=').append(v.toString().replace("\\", "\\\\")).append('\n'));
      try {
        writeSecret(file, w -> w.write(sb.toString()));
      } catch (IOException e) {
        throw new BrokerStartException("cannot write " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The broker properties of secure mode: SASL_SSL with SCRAM-SHA-512 on the client port,
   * SASL/PLAIN for the broker's own principal on the internal and controller listeners, the
   * StandardAuthorizer with the broker as its only superuser.
   */
  Map<String, String> brokerProperties(int clientPort, int internalPort, int controllerPort) {
    Map<String, String> p = new HashMap<>();
    p.put(
        "listeners",
        "SASL_SSL://127.0.0.1:"
            + clientPort
            + ",INTERNAL://127.0.0.1:"
            + internalPort
            + ",CONTROLLER://127.0.0.1:"
            + controllerPort);
    p.put(
        "advertised.listeners",
        "SASL_SSL://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + internalPort);
    p.put(
        "listener.security.protocol.map",
        "SASL_SSL:SASL_SSL,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
    p.put("inter.broker.listener.name", "INTERNAL");
    p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put("sasl.enabled.mechanisms", MECHANISM);
    p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", MECHANISM);
    p.put(
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    for (String listener : List.of("internal", "controller")) {
      p.put("listener.name." + listener + ".sasl.enabled.mechanisms", "PLAIN");
      p.put("listener.name." + listener + ".plain.sasl.jaas.config", brokerPlainJaas(true));
    }
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", keystore().toString());
    p.put("ssl.keystore.password", keystorePassword);
    p.put("ssl.key.password", keystorePassword);
    p.put("ssl.client.auth", "none");
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:" + BROKER_USER);
    p.put("allow.everyone.if.no.acl.found", "false");
    return p;
  }

  /** Client properties of the broker's own principal on the internal listener. */
  Map<String, Object> internalClientProps(String bootstrap) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "PLAIN");
    p.put("sasl.jaas.config", brokerPlainJaas(false));
    return p;
  }

  private String brokerPlainJaas(boolean server) {
    String jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + BROKER_USER
            + "\" password=\""
            + brokerPassword
            + "\"";
    if (server) jaas += " user_" + BROKER_USER + "=\"" + brokerPassword + "\"";
    return jaas + ";";
  }

  /** Whether a broker property holds a secret (kept out of the files the broker writes). */
  static boolean isSecret(String key) {
    return key.endsWith("jaas.config") || key.endsWith("password");
  }

  private void makeCertificates() throws IOException {
    Path work = Files.createTempDirectory(dir, ".ca-");
    String caPassword = randomPassword(); // the CA's key is discarded with work/
    try {
      Path ca = work.resolve("ca.p12");
      Path csr = work.resolve("broker.csr");
      Path signed = work.resolve("broker.crt");
      Path caTmp = work.resolve(CA_FILE);
      Path ksTmp = work.resolve(KEYSTORE_FILE);
      Map<String, String> env = Map.of("CA_PASS", caPassword, "KS_PASS", keystorePassword);
      String validity = "825";
      KeyEntry caKey = new KeyEntry(ca, "CA_PASS", "ca");
      KeyEntry brokerKey = new KeyEntry(ksTmp, "KS_PASS", "broker");
      keytool(
          env,
          "-genkeypair",
          caKey,
          "-storetype",
          "PKCS12",
          "-dname",
          "CN=charstream local CA " + dir.getFileName(),
          "-keyalg",
          "EC",
          "-groupname",
          "secp256r1",
          "-validity",
          validity,
          "-ext",
          "bc:c");
      keytool(env, "-exportcert", caKey, "-rfc", "-file", caTmp);
      keytool(
          env,
          "-genkeypair",
          brokerKey,
          "-storetype",
          "PKCS12",
          "-dname",
          "CN=localhost",
          "-keyalg",
          "EC",
          "-groupname",
          "secp256r1",
          "-validity",
          validity);
      keytool(env, "-certreq", brokerKey, "-file", csr);
      keytool(
          env,
          "-gencert",
          caKey,
          "-infile",
          csr,
          "-outfile",
          signed,
          "-rfc",
          "-validity",
          validity,
          "-ext",
          "SAN=dns:localhost,ip:127.0.0.1",
          "-ext",
          "KU=digitalSignature",
          "-ext",
          "EKU=serverAuth");
      importCert(env, ksTmp, "ca", caTmp);
      importCert(env, ksTmp, "broker", signed);
      ownerOnly(ksTmp, "rw-------");
      Files.move(ksTmp, keystore(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(caTmp, caFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      deleteRecursively(work);
    }
  }

  /** Imports a certificate into the keystore (its password in the environment's KS_PASS). */
  private static void importCert(Map<String, String> env, Path keystore, String alias, Path cert)
      throws IOException {
    keytool(
        env, "-importcert", new KeyEntry(keystore, "KS_PASS", alias), "-file", cert, "-noprompt");
  }

  /** A key store entry: the store, the environment variable holding its password, the alias. */
  private record KeyEntry(Path store, String passwordVariable, String alias) {}

  /** Runs {@code keytool command} on {@code entry}, then {@code args}. */
  private static void keytool(
      Map<String, String> env, String command, KeyEntry entry, Object... args) throws IOException {
    Path bin = Path.of(System.getProperty("java.home"), "bin", "keytool");
    if (!Files.isExecutable(bin))
      throw new IOException(
          bin + " not found: --secure makes its certificates with the JDK's keytool");
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.toString());
    cmd.addAll(
        List.of(
            command,
            "-keystore",
            entry.store().toString(),
            "-storepass:env",
            entry.passwordVariable(),
            "-alias",
            entry.alias()));
    for (Object a : args) cmd.add(a.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool " + command + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool " + command, e);
    }
    if (p.exitValue() != 0)
      throw new IOException(
          "keytool " + command + " failed (status " + p.exitValue() + "): " + out.strip());
  }

  private interface WriteBody {
    void write(Writer w) throws IOException;
  }

  /** Writes {@code file} readable by its owner only (created so before any secret is in it). */
  private static void writeSecret(Path file, WriteBody body) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp);
    ownerOnly(tmp, "rw-------");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      body.write(w);
    }
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void ownerOnly(Path p, String perms) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the directory's own protection applies
    }
  }

  /** 24 random bytes, base64url: no quote or backslash, safe inside a JAAS line. */
  static String randomPassword() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
