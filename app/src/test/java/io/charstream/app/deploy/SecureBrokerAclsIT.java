package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.broker.KafkaUsers;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code charstream broker --secure} grants the ACLs of the users.yaml bundled into the jar; every
 * overlay must render exactly those KafkaUsers with exactly those ACLs (an overlay that patched a
 * user would make the local secure broker lie about production).
 */
class SecureBrokerAclsIT {

  static java.util.List<String> overlays() {
    return Rendered.OVERLAYS;
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyOverlayRendersTheKafkaUsersTheSecureBrokerGrants(String overlay) {
    Map<String, Set<AclBinding>> rendered = new TreeMap<>();
    for (var user : Rendered.overlay(overlay).all("KafkaUser")) {
      KafkaUsers.User u = KafkaUsers.of(user);
      rendered.put(u.name(), Set.copyOf(u.acls()));
    }
    Map<String, Set<AclBinding>> bundled =
        KafkaUsers.bundled().stream()
            .collect(
                Collectors.toMap(
                    KafkaUsers.User::name, u -> Set.copyOf(u.acls()), (a, b) -> a, TreeMap::new));
    assertThat(rendered.keySet())
        .containsExactly(
            "charstream-client", "charstream-generator", "charstream-keda", "charstream-trainer");
    assertThat(rendered).isEqualTo(bundled);
    // One binding per rule and operation: the trainer's 11 rules hold 29 operations.
    assertThat(bundled.get("charstream-trainer")).hasSize(29);
  }
}
