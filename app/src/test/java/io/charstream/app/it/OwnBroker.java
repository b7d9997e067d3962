package io.charstream.app.it;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.schemas.Topics;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving a test class a broker of its own, for tests that stop, restart or
 * reconfigure it (the shared {@link KafkaBroker} stays as the other tests expect it):
 * {@code @RegisterExtension static final OwnBroker BROKER = new OwnBroker();}. Started before the
 * class's first test and closed after its last; a broker that cannot start fails the class's tests.
 */
public final class OwnBroker implements BeforeAllCallback, AfterAllCallback {
  private final EmbeddedBroker.Options options;
  private EmbeddedBroker broker;

  /** An ephemeral broker: any free port, a temporary data directory, the default topics. */
  public OwnBroker() {
    this(EmbeddedBroker.Options.ephemeral());
  }

  public OwnBroker(EmbeddedBroker.Options options) {
    this.options = options;
  }

  /**
   * An ephemeral broker that aborts a dead worker's open transaction soon after its
   * transaction.timeout.ms: it looks every second (the default, 10 s, would only make kill tests
   * slower).
   */
  public static OwnBroker abortingDeadTransactionsQuickly() {
    return new OwnBroker(
        new EmbeddedBroker.Options(
            0,
            null,
            Topics.defaults(),
            Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    broker = EmbeddedBroker.start(options);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  /** The running broker. */
  public EmbeddedBroker get() {
    if (broker == null) {
      throw new IllegalStateException(
          "the broker is not started: register OwnBroker with @RegisterExtension");
    }
    return broker;
  }
}
