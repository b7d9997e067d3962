package io.charstream.app.broker;

import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka 4 broker (KRaft, combined broker + controller, one node) running inside this JVM on
 * 127.0.0.1, with the charstream topics created from the {@link Topics} registry. Used by {@code
 * charstream broker}, {@code charstream up}/{@code demo} and the integration tests.
 *
 * <p>A single node must run its internal topics (consumer offsets, transaction state, share-group
 * state) with replication factor 1 and min ISR 1, or consumers and transactions hang waiting for
 * replicas that never come.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final short REPLICATION = 1;

  /**
   * @param port the client port on 127.0.0.1; 0 picks a free one
   * @param dataDir where the log lives; null for a temporary directory deleted on close
   * @param topics the topics to create (dead-letter topics included)
   * @param brokerOverrides extra broker properties
   * @param saslPlainUsers user name to password; when not empty, a second listener on 127.0.0.1
   *     takes only clients that authenticate with SASL/PLAIN as one of these users ({@link
   *     #saslBootstrapServers()})
   * @param secureDir null, or the directory of {@code charstream broker --secure}: the client port
   *     then takes only SASL_SSL with SCRAM-SHA-512 as one of the deploy manifests' KafkaUsers, the
   *     StandardAuthorizer grants each exactly its manifest ACLs, and DIR gets a CA, the broker's
   *     keystore and a client properties file per user ({@link LocalSecurity})
   * @param proxied null, or a second PLAINTEXT listener for network-fault tests: it listens on
   *     {@code port} and is advertised at {@code advertisedPort}, where a test's proxy forwards to
   *     it, so clients that bootstrap there keep all their connections on the proxy
   */
  public record Options(
      int port,
      Path dataDir,
      Topics topics,
      Map<String, String> brokerOverrides,
      Map<String, String> saslPlainUsers,
      Path secureDir,
      ProxiedListener proxied) {
    public Options {
      if (port < 0 || port > 65535)
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      if (topics == null) throw new IllegalArgumentException("topics is required");
      brokerOverrides = Map.copyOf(brokerOverrides == null ? Map.of() : brokerOverrides);
      saslPlainUsers = Map.copyOf(saslPlainUsers == null ? Map.of() : saslPlainUsers);
      for (String user : saslPlainUsers.keySet()) {
        if (!user.matches("[A-Za-z0-9._-]+"))
          throw new IllegalArgumentException("SASL user name '" + user + "' is invalid");
      }
      if (secureDir != null && !saslPlainUsers.isEmpty())
        throw new IllegalArgumentException(
            "a secure broker has no SASL/PLAIN listener: use its SCRAM users");
      if (secureDir != null && !topics.prefix().equals(Topics.DEFAULT_PREFIX))
        throw new IllegalArgumentException(
            "--secure grants the ACLs of deploy/k8s/strimzi/users.yaml, which name the topics "
                + Topics.DEFAULT_PREFIX
                + "*: the topic prefix must be "
                + Topics.DEFAULT_PREFIX
                + ", got "
                + topics.prefix());
    }

    public Options(int port, Path dataDir, Topics topics, Map<String, String> brokerOverrides) {
      this(port, dataDir, topics, brokerOverrides, Map.of(), null, null);
    }

    /** These options plus a SASL/PLAIN listener for {@code users} (name to password). */
    public Options withSaslPlainUsers(Map<String, String> users) {
      return new Options(port, dataDir, topics, brokerOverrides, users, secureDir, proxied);
    }

    /** These options in secure mode, with its certificates and client files in {@code dir}. */
    public Options withSecureDir(Path dir) {
      return new Options(port, dataDir, topics, brokerOverrides, saslPlainUsers, dir, proxied);
    }

    /** These options plus a listener on {@code port} advertised at {@code advertisedPort}. */
    public Options withProxiedListener(int port, int advertisedPort) {
      return new Options(
          this.port,
          dataDir,
          topics,
          brokerOverrides,
          saslPlainUsers,
          secureDir,
          new ProxiedListener(port, advertisedPort));
    }

    /** A temporary broker on a free port with the default topics: what tests use. */
    public static Options ephemeral() {
      return new Options(0, null, Topics.defaults(), Map.of());
    }
  }

  /** A PLAINTEXT listener on 127.0.0.1:{@code port} advertised as 127.0.0.1:{@code advertised}. */
  public record ProxiedListener(int port, int advertisedPort) {}

  private final Options options;
  private final Path dataDir;
  private final boolean temporary;
  private final int port;
  private final int controllerPort;
  private final int saslPort;
  private final LocalSecurity security;
  private final int internalPort;
  private KafkaRaftServer server;

  private EmbeddedBroker(
      Options options, Path dataDir, boolean temporary, int port, int controllerPort) {
    this.options = options;
    this.dataDir = dataDir;
    this.temporary = temporary;
    this.port = port;
    this.controllerPort = controllerPort;
    this.saslPort = options.saslPlainUsers().isEmpty() ? -1 : freePort();
    this.security =
        options.secureDir() == null
            ? null
            : LocalSecurity.prepare(options.secureDir(), KafkaUsers.bundled());
    this.internalPort = security == null ? -1 : freePort();
  }

  /**
   * Formats the storage if it is new, starts the broker, waits until it answers and creates the
   * topics. Throws {@link BrokerStartException} saying what went wrong.
   */
  public static EmbeddedBroker start(Options options) {
    boolean temporary = options.dataDir() == null;
    Path dir;
    try {
      dir =
          temporary
              ? Files.createTempDirectory("charstream-kafka-")
              : options.dataDir().toAbsolutePath();
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot create the broker data directory "
              + options.dataDir()
              + ": "
              + e.getMessage()
              + " (pass a writable --data-dir)",
          e);
    }
    int port = options.port() == 0 ? freePort() : options.port();
    EmbeddedBroker broker;
    try {
      broker = new EmbeddedBroker(options, dir, temporary, port, freePort());
    } catch (RuntimeException e) {
      if (temporary) deleteRecursively(dir);
      throw e;
    }
    try {
      broker.startServer();
      broker.createTopics(options.topics());
      if (broker.security != null) broker.secure();
    } catch (RuntimeException e) {
      broker.close();
      throw e instanceof BrokerStartException b
          ? b
          : new BrokerStartException(
              "the embedded Kafka broker failed to start: " + messages(e), e);
    }
    return broker;
  }

  /** {@code 127.0.0.1:PORT} (in secure mode: the SASL_SSL listener). */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:PORT} of the SASL/PLAIN listener (security.protocol SASL_PLAINTEXT). */
  public String saslBootstrapServers() {
    if (saslPort < 0)
      throw new IllegalStateException(
          "this broker has no SASL listener: see Options.withSaslPlainUsers");
    return "127.0.0.1:" + saslPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The secure mode's directory, users and client settings; empty unless {@code --secure}. */
  public java.util.Optional<LocalSecurity> security() {
    return java.util.Optional.ofNullable(security);
  }

  public Topics topics() {
    return options.topics();
  }

  /**
   * Creates a topic set (e.g. with another prefix); topics that exist already are kept as they are.
   */
  public void createTopics(Topics topics) {
    List<NewTopic> wanted = new ArrayList<>();
    for (Topic<?, ?> t : topics.all()) wanted.add(t.settings().newTopic(t.name(), REPLICATION));
    try (Admin admin = admin()) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) return;
      try {
        admin.createTopics(missing).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
      // Creation returns when the controller has the topics; the broker's metadata follows shortly.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Set<String> names = Set.copyOf(wanted.stream().map(NewTopic::name).toList());
      while (!admin.listTopics().names().get().containsAll(names)) {
        if (System.nanoTime() > deadline)
          throw new BrokerStartException("created topics did not appear within 30 s");
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
      LOG.info("created {} topics with prefix {}", missing.size(), topics.prefix());
    } catch (ExecutionException e) {
      throw new BrokerStartException(
          "cannot create the charstream topics: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while creating topics", e);
    }
  }

  /**
   * An admin client for this broker; the caller closes it. In secure mode it is the broker's own
   * superuser on the internal listener.
   */
  public Admin admin() {
    Map<String, Object> props = new java.util.HashMap<>(adminClientProps());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    return Admin.create(props);
  }

  /**
   * Client properties with every right on this broker: its client listener, or in secure mode the
   * broker's own superuser on the internal listener (for tests and the broker's own set-up only).
   */
  public Map<String, Object> adminClientProps() {
    if (security != null) return security.internalClientProps("127.0.0.1:" + internalPort);
    return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
  }

  /**
   * Secure mode, once the broker runs: every KafkaUser's SCRAM-SHA-512 credential (upserted, so a
   * reused DIR keeps working), exactly the manifests' ACLs (missing ones created, others deleted),
   * the client properties files, then a login as every user, which also waits until the broker
   * applies what the controller committed (credentials are written after the ACLs).
   */
  private void secure() {
    Set<AclBinding> wanted = new java.util.LinkedHashSet<>();
    security.users().forEach(u -> wanted.addAll(u.acls()));
    try (Admin admin = admin()) {
      Set<AclBinding> existing =
          new java.util.HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
      List<AclBinding> create = wanted.stream().filter(b -> !existing.contains(b)).toList();
      List<AclBindingFilter> delete =
          existing.stream().filter(b -> !wanted.contains(b)).map(AclBinding::toFilter).toList();
      if (!delete.isEmpty()) admin.deleteAcls(delete).all().get();
      if (!create.isEmpty()) admin.createAcls(create).all().get();
      List<UserScramCredentialAlteration> credentials = new ArrayList<>();
      for (KafkaUsers.User u : security.users()) {
        credentials.add(
            new UserScramCredentialUpsertion(
                u.name(),
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                security.password(u.name())));
      }
      admin.alterUserScramCredentials(credentials).all().get();
      LOG.info(
          "secure mode: {} ACLs of {} users ({} created, {} removed), SCRAM-SHA-512 credentials set",
          wanted.size(),
          security.users().size(),
          create.size(),
          delete.size());
    } catch (ExecutionException e) {
      throw new BrokerStartException(
          "cannot set the users and ACLs of the secure broker: " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while setting users and ACLs", e);
    }
    security.writeClientProperties(bootstrapServers());
    awaitCredentials();
    for (KafkaUsers.User u : security.users()) awaitLogin(u.name());
  }

  /**
   * Waits until the broker (which answers from its metadata image) lists every user's credential,
   * so the logins below do not fail first and log errors.
   */
  private void awaitCredentials() {
    Set<String> names = Set.copyOf(security.users().stream().map(KafkaUsers.User::name).toList());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (Admin admin = admin()) {
      while (!admin.describeUserScramCredentials().users().get().containsAll(names)) {
        if (System.nanoTime() > deadline)
          throw new BrokerStartException("the users' SCRAM credentials did not appear within 30 s");
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
    } catch (ExecutionException e) {
      throw new BrokerStartException(
          "cannot list the SCRAM users: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while waiting for the SCRAM users", e);
    }
  }

  /** Retries until {@code user} authenticates on the client listener (SCRAM propagates async). */
  private void awaitLogin(String user) {
    Map<String, Object> props =
        new java.util.HashMap<>(security.clientProps(user, bootstrapServers()));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (Admin admin = Admin.create(props)) {
      while (true) {
        try {
          admin.describeCluster(new DescribeClusterOptions().timeoutMs(10_000)).nodes().get();
          return;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.SaslAuthenticationException)
              || System.nanoTime() > deadline)
            throw new BrokerStartException(
                "user "
                    + user
                    + " cannot log in to the secure broker: "
                    + e.getCause().getMessage(),
                e.getCause());
          LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while checking the users' logins", e);
    }
  }

  /**
   * Stops the broker and starts it again on the same ports and data: for tests of clients that must
   * ride out a broker restart.
   */
  public synchronized void restart() {
    stopServer();
    startServer();
  }

  /** Stops the broker without deleting its data (for tests that restart it later). */
  public synchronized void stop() {
    stopServer();
  }

  /** Starts a stopped broker again on the same ports. */
  public synchronized void resume() {
    if (server == null) startServer();
  }

  @Override
  public synchronized void close() {
    stopServer();
    if (temporary) deleteRecursively(dataDir);
  }

  private synchronized void startServer() {
    Path logs = dataDir.resolve("logs");
    Properties props = brokerProperties(logs);
    format(props, logs);
    long t0 = System.nanoTime();
    server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    server.startup();
    awaitReady(Duration.ofSeconds(60));
    LOG.info(
        "Kafka broker ready on {} in {} ms (data in {})",
        bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000,
        dataDir);
  }

  private synchronized void stopServer() {
    if (server == null) return;
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("error while stopping the embedded broker: {}", e.toString());
    }
    server = null;
  }

  private Properties brokerProperties(Path logs) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logs.toString());
    // One node: every internal topic with one replica, or consumers and transactions hang.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "10");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "10");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    p.put("num.partitions", "1");
    // Groups form at once instead of waiting 3 s for more members: tests and the demo start faster.
    p.put("group.initial.rebalance.delay.ms", "0");
    // Typos in topic names fail loudly instead of creating a topic nobody reads.
    p.put("auto.create.topics.enable", "false");
    p.put("log.cleaner.backoff.ms", "15000");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
    if (security != null) {
      p.putAll(security.brokerProperties(port, internalPort, controllerPort));
    }
    if (options.proxied() != null) {
      p.put("listeners", p.get("listeners") + ",PROXIED://127.0.0.1:" + options.proxied().port());
      p.put(
          "advertised.listeners",
          p.get("advertised.listeners")
              + ",PROXIED://127.0.0.1:"
              + options.proxied().advertisedPort());
      p.put(
          "listener.security.protocol.map",
          p.get("listener.security.protocol.map") + ",PROXIED:PLAINTEXT");
    }
    if (saslPort >= 0) {
      // Clients authenticate on this listener; the broker itself and admin() stay on PLAINTEXT.
      p.put("listeners", p.get("listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
      p.put(
          "advertised.listeners",
          p.get("advertised.listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
      p.put(
          "listener.security.protocol.map",
          p.get("listener.security.protocol.map") + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
      p.put("sasl.enabled.mechanisms", "PLAIN");
      StringBuilder jaas =
          new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
      options
          .saslPlainUsers()
          .forEach(
              (user, password) ->
                  jaas.append(" user_")
                      .append(user)
                      .append("=\"")
                      .append(password.replace("\"", "\\\""))
                      .append('"'));
      p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.append(';').toString());
    }
    p.putAll(options.brokerOverrides());
    return p;
  }

  /** Formats the log directory once; a formatted directory keeps its cluster id and data. */
  private void format(Properties props, Path logs) {
    if (Files.exists(logs.resolve("meta.properties"))) return;
    Path file = dataDir.resolve("server.properties");
    try {
      // Only what formatting needs: the passwords of secure mode stay in memory.
      Properties stored = new Properties();
      props.forEach(
          (k, v) -> {
            if (!LocalSecurity.isSecret(k.toString())) stored.put(k, v);
          });
      try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        stored.store(w, "charstream embedded broker");
      }
    } catch (IOException e) {
      throw new BrokerStartException("cannot write " + file + ": " + e.getMessage(), e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc;
    // StorageTool.main would System.exit; execute returns a status instead.
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      rc =
          StorageTool.execute(
              new String[] {
                "format",
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--config",
                file.toString(),
                "--ignore-formatted"
              },
              ps);
    } catch (Exception e) {
      throw new BrokerStartException(
          "formatting the broker storage in " + logs + " failed: " + e.getMessage(), e);
    }
    if (rc != 0) {
      throw new BrokerStartException(
          "formatting the broker storage in "
              + logs
              + " failed (status "
              + rc
              + "): "
              + out.toString(StandardCharsets.UTF_8).trim());
    }
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          if (!admin
              .describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
              .nodes()
              .get()
              .isEmpty()) return;
        } catch (ExecutionException e) {
          last = e;
          LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // back off before asking again
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while waiting for the broker", e);
    }
    throw new BrokerStartException(
        "the embedded broker did not answer on "
            + bootstrapServers()
            + " within "
            + timeout.toSeconds()
            + " s"
            + (last == null ? "" : ": " + last.getMessage()),
        last);
  }

  /** A throwable's message and those of its causes, for a start failure that says why. */
  private static String messages(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !sb.toString().contains(c.getMessage()))
        sb.append(": ").append(c.getMessage());
    }
    return sb.toString();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new BrokerStartException("cannot find a free port on 127.0.0.1: " + e.getMessage(), e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete {}: {}", dir, e.getMessage());
    }
  }
}
