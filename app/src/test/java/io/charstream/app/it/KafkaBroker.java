package io.charstream.app.it;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.schemas.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving integration tests a real in-process KRaft broker:
 * {@code @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();}. One broker is
 * shared by every test class of the JVM (started on first use, stopped when the run ends); tests
 * isolate themselves with {@link #newTopics()}, a fresh topic prefix. If the broker cannot start,
 * every test that uses it fails with the reason; nothing is skipped.
 */
public final class KafkaBroker implements BeforeAllCallback {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EmbeddedBroker shared;
  private static RuntimeException startFailure;

  @Override
  public void beforeAll(ExtensionContext context) {
    broker(context);
  }

  private static synchronized EmbeddedBroker broker(ExtensionContext context) {
    if (startFailure != null) {
      throw new IllegalStateException(
          "the shared Kafka broker failed to start earlier: " + startFailure.getMessage(),
          startFailure);
    }
    if (shared == null) {
      try {
        shared = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral());
      } catch (RuntimeException e) {
        startFailure = e;
        throw e;
      }
      // Closed by JUnit when the whole run ends (AutoCloseable values of the root store are
      // closed).
      context
          .getRoot()
          .getStore(ExtensionContext.Namespace.GLOBAL)
          .put(KafkaBroker.class.getName(), (AutoCloseable) KafkaBroker::closeShared);
    }
    return shared;
  }

  private static synchronized void closeShared() {
    if (shared != null) shared.close();
    shared = null;
  }

  /** The running broker. */
  public EmbeddedBroker broker() {
    synchronized (KafkaBroker.class) {
      if (shared == null)
        throw new IllegalStateException(
            "the broker is not started: register KafkaBroker with @RegisterExtension");
      return shared;
    }
  }

  public String bootstrapServers() {
    return broker().bootstrapServers();
  }

  /** A fresh set of charstream topics with a unique prefix, created on the broker. */
  public Topics newTopics() {
    Topics topics =
        new Topics("it" + PREFIXES.incrementAndGet() + "-" + ProcessHandle.current().pid() + ".");
    broker().createTopics(topics);
    return topics;
  }

  /** Client properties that reach this broker. */
  public Map<String, Object> clientProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return p;
  }
}
