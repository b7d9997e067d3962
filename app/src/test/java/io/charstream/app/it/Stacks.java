package io.charstream.app.it;

import io.charstream.app.stack.EmbeddedStack;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@link EmbeddedStack}s on the shared test broker, as {@code charstream up} starts them. */
public final class Stacks {
  private Stacks() {}

  /**
   * Every config of the stack on {@code kafka} and {@code topics}, nothing from the environment:
   * the definition's defaults plus the overrides.
   */
  public static EmbeddedStack.Settings settings(KafkaBroker kafka, Topics topics) {
    return (def, overrides) -> {
      EnvConfig.Builder b =
          EnvConfig.builder(def)
              .env(Map.of())
              .override(CommonKeys.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
              .override(CommonKeys.TOPIC_PREFIX, topics.prefix());
      overrides.forEach(b::override);
      return b.build();
    };
  }

  /**
   * A trainer and a generator in this JVM on {@code kafka}'s {@code topics} (no embedded broker),
   * in consumer groups of their own and without HTTP servers; {@code generator} adds generator
   * keys.
   */
  public static EmbeddedStack.Options workers(
      KafkaBroker kafka, Topics topics, Map<String, Object> generator) {
    String unique = topics.prefix().replace(".", "");
    Map<String, Object> generatorSettings = new HashMap<>(generator);
    generatorSettings.put(GeneratorConfig.GROUP_ID, unique + "-generator");
    generatorSettings.put(GeneratorConfig.INSTANCE_ID, unique + "-generator");
    generatorSettings.put(GeneratorConfig.HTTP_PORT, -1);
    return new EmbeddedStack.Options(
        Optional.empty(),
        true,
        Map.of(
            TrainerConfig.GROUP_ID,
            unique + "-trainer",
            TrainerConfig.APPLICATION_ID,
            unique + "-trainer-index",
            TrainerConfig.HTTP_PORT,
            -1),
        generatorSettings,
        settings(kafka, topics));
  }
}
