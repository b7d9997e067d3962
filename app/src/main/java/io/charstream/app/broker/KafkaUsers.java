package io.charstream.app.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The KafkaUsers of the deploy manifests ({@code deploy/k8s/strimzi/users.yaml}, bundled into the
 * jar at build time) as Kafka ACL bindings, rendered the way Strimzi's User Operator renders {@code
 * authorization.type: simple}: one ALLOW binding per resource and operation, for principal {@code
 * User:<metadata.name>}, host {@code *} unless the rule names one.
 */
public final class KafkaUsers {
  /** The bundled manifest, on the classpath next to this class. */
  public static final String RESOURCE = "users.yaml";

  /**
   * One KafkaUser.
   *
   * @param name its metadata.name, which is also its SCRAM user name
   * @param acls what its rules allow
   */
  public record User(String name, List<AclBinding> acls) {
    public User {
      acls = List.copyOf(acls);
    }

    /** {@code User:<name>}. */
    public String principal() {
      return "User:" + name;
    }
  }

  private KafkaUsers() {}

  /** The users of the bundled manifest. */
  public static List<User> bundled() {
    try (InputStream in = KafkaUsers.class.getResourceAsStream(RESOURCE)) {
      if (in == null)
        throw new IllegalStateException(
            RESOURCE
                + " is not on the classpath (the app build bundles deploy/k8s/strimzi/users.yaml)");
      return parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundled " + RESOURCE, e);
    }
  }

  /** The KafkaUser documents of a (multi-document) YAML stream; other kinds are ignored. */
  public static List<User> parse(InputStream yaml) throws IOException {
    List<User> users = new ArrayList<>();
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
    try (MappingIterator<JsonNode> docs = mapper.readerFor(JsonNode.class).readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || !"KafkaUser".equals(doc.path("kind").asText())) continue;
        users.add(of(doc));
      }
    }
    return List.copyOf(users);
  }

  /** One KafkaUser object (as rendered by kustomize, or one document of the manifest). */
  public static User of(JsonNode doc) {
    String name = doc.at("/metadata/name").asText();
    if (name.isEmpty()) throw new IllegalArgumentException("a KafkaUser without metadata.name");
    String auth = doc.at("/spec/authentication/type").asText();
    if (!auth.equals("scram-sha-512"))
      throw new IllegalArgumentException(
          "KafkaUser " + name + ": authentication " + auth + " (only scram-sha-512 is supported)");
    String authz = doc.at("/spec/authorization/type").asText();
    if (!authz.equals("simple"))
      throw new IllegalArgumentException(
          "KafkaUser " + name + ": authorization " + authz + " (only simple is supported)");
    String principal = "User:" + name;
    List<AclBinding> bindings = new ArrayList<>();
    for (JsonNode rule : doc.at("/spec/authorization/acls")) {
      JsonNode res = rule.path("resource");
      ResourceType type = resourceType(name, res.path("type").asText());
      String resourceName =
          type == ResourceType.CLUSTER ? "kafka-cluster" : res.path("name").asText();
      PatternType pattern =
          switch (res.path("patternType").asText("literal")) {
            case "literal" -> PatternType.LITERAL;
            case "prefix" -> PatternType.PREFIXED;
            default ->
                throw new IllegalArgumentException(
                    "KafkaUser " + name + ": unknown patternType " + res.path("patternType"));
          };
      AclPermissionType permission =
          switch (rule.path("type").asText("allow")) {
            case "allow" -> AclPermissionType.ALLOW;
            case "deny" -> AclPermissionType.DENY;
            default ->
                throw new IllegalArgumentException(
                    "KafkaUser " + name + ": unknown rule type " + rule.path("type"));
          };
      String host = rule.path("host").asText("*");
      List<JsonNode> ops = new ArrayList<>();
      rule.path("operations").forEach(ops::add);
      if (rule.has("operation")) ops.add(rule.get("operation"));
      if (ops.isEmpty())
        throw new IllegalArgumentException("KafkaUser " + name + ": a rule without operations");
      for (JsonNode op : ops) {
        bindings.add(
            new AclBinding(
                new ResourcePattern(type, resourceName, pattern),
                new AccessControlEntry(principal, host, operation(name, op.asText()), permission)));
      }
    }
    return new User(name, bindings);
  }

  private static ResourceType resourceType(String user, String strimzi) {
    return switch (strimzi) {
      case "topic" -> ResourceType.TOPIC;
      case "group" -> ResourceType.GROUP;
      case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
      case "cluster" -> ResourceType.CLUSTER;
      default ->
          throw new IllegalArgumentException(
              "KafkaUser " + user + ": unknown resource type '" + strimzi + "'");
    };
  }

  /** Strimzi's {@code DescribeConfigs} is Kafka's {@code DESCRIBE_CONFIGS}. */
  private static AclOperation operation(String user, String strimzi) {
    String snake = strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    AclOperation op = AclOperation.fromString(snake);
    if (op == AclOperation.UNKNOWN || op == AclOperation.ANY)
      throw new IllegalArgumentException(
          "KafkaUser " + user + ": unknown operation '" + strimzi + "'");
    return op;
  }
}
