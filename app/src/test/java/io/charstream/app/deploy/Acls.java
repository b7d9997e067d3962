package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The simple-authorization ACLs of a rendered KafkaUser, and what they allow. */
record Acls(List<Rule> rules) {

  record Rule(String type, String name, boolean prefix, Set<String> operations) {}

  static Acls of(JsonNode kafkaUser) {
    List<Rule> rules = new ArrayList<>();
    for (JsonNode acl : kafkaUser.at("/spec/authorization/acls")) {
      if (!acl.path("type").asText("allow").equals("allow")) {
        throw new AssertionError("deny rules are not used by charstream: " + acl);
      }
      Set<String> ops = new TreeSet<>();
      acl.path("operations").forEach(o -> ops.add(o.asText()));
      JsonNode res = acl.path("resource");
      rules.add(
          new Rule(
              res.path("type").asText(),
              res.path("name").asText(),
              res.path("patternType").asText("literal").equals("prefix"),
              ops));
    }
    return new Acls(List.copyOf(rules));
  }

  /**
   * Whether {@code operation} on resource {@code type/name} is allowed (All implies every
   * operation).
   */
  boolean allows(String type, String name, String operation) {
    return rules.stream()
        .anyMatch(
            r ->
                r.type().equals(type)
                    && (r.prefix() ? name.startsWith(r.name()) : name.equals(r.name()))
                    && (r.operations().contains(operation) || r.operations().contains("All")));
  }
}
