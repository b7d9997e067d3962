package io.charstream.app.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds a manifest object to a typed model (fabric8 for built-in kinds and the Prometheus
 * Operator's, Strimzi's API model for Strimzi kinds) as strictly as the API server's strict field
 * validation: a wrong type fails the binding (no string-to-number, number-to-string or float-to-int
 * coercion), and an unknown field fails too. Both models keep unknown fields in an {@code
 * additionalProperties} map instead of rejecting them, so after binding the object graph is walked
 * and every non-empty such map is a violation. Last, the bound object is written back and must
 * still hold every input value: a model that maps a value it does not know to null (Strimzi's enums
 * do) is caught there.
 */
final class StrictModel {

  private static final JsonMapper MAPPER = strictMapper();

  /**
   * Writes every property, defaults and nulls included (the models omit default values such as
   * patternType: literal), so the round trip below compares like with like.
   */
  private static final JsonMapper WRITE_ALL = writeAllMapper();

  private StrictModel() {}

  private static JsonMapper strictMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    for (LogicalType scalar :
        List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
      mapper.coercionConfigFor(scalar).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
      mapper
          .coercionConfigFor(scalar)
          .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    }
    mapper
        .coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    for (CoercionInputShape shape :
        List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
      mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    return mapper;
  }

  private static JsonMapper writeAllMapper() {
    JsonMapper mapper = MAPPER.copy();
    mapper.setAnnotationIntrospector(
        new JacksonAnnotationIntrospector() {
          @Override
          public JsonInclude.Value findPropertyInclusion(Annotated a) {
            return JsonInclude.Value.construct(
                JsonInclude.Include.ALWAYS, JsonInclude.Include.ALWAYS);
          }
        });
    return mapper;
  }

  /**
   * Violations of {@code node} against {@code model}, each naming the field; empty when it
   * conforms.
   */
  static List<String> violations(JsonNode node, Class<?> model) {
    Object bound;
    try {
      bound = MAPPER.treeToValue(node, model);
    } catch (JsonMappingException e) {
      return List.of(pathOf(e) + ": " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      return List.of(e.getOriginalMessage());
    }
    List<String> out = new ArrayList<>();
    walk(bound, "", out, new IdentityHashMap<>());
    if (out.isEmpty()) {
      // apiVersion is matched before binding; some models write their own default version.
      JsonNode input = node.deepCopy();
      ((com.fasterxml.jackson.databind.node.ObjectNode) input).remove("apiVersion");
      lost(input, WRITE_ALL.valueToTree(bound), "$", out);
    }
    return out;
  }

  /** Reports every value of {@code in} that the round trip through the model did not keep. */
  private static void lost(JsonNode in, JsonNode out, String path, List<String> found) {
    if (in.isObject()) {
      in.fields()
          .forEachRemaining(
              e -> lost(e.getValue(), out.path(e.getKey()), path + "." + e.getKey(), found));
    } else if (in.isArray()) {
      for (int i = 0; i < in.size(); i++) {
        lost(in.get(i), out.path(i), path + "[" + i + "]", found);
      }
    } else if (!in.isNull() && !in.asText().equals(out.asText(null))) {
      found.add(path + ": value " + in + " is not valid here (the model read it as " + out + ")");
    }
  }

  private static String pathOf(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("", "$", ""));
  }

  /** Reports every non-empty additionalProperties map below {@code value}. */
  private static void walk(Object value, String path, List<String> out, Map<Object, Boolean> seen) {
    if (value == null || seen.put(value, Boolean.TRUE) != null) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walk(list.get(i), path + "[" + i + "]", out, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, out, seen));
      return;
    }
    if (!isModel(value.getClass())) {
      return;
    }
    for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        f.setAccessible(true);
        Object fieldValue;
        try {
          fieldValue = f.get(value);
        } catch (IllegalAccessException e) {
          throw new AssertionError("cannot read " + c.getName() + "." + f.getName(), e);
        }
        if (f.getName().equals("additionalProperties") && fieldValue instanceof Map<?, ?> extra) {
          for (Object key : extra.keySet()) {
            out.add((path.isEmpty() ? "$" : "$" + path) + ": unknown field \"" + key + "\"");
          }
        } else {
          walk(fieldValue, path + "." + f.getName(), out, seen);
        }
      }
    }
  }

  private static boolean isModel(Class<?> c) {
    String name = c.getName();
    return (name.startsWith("io.fabric8.kubernetes.api.model.")
            || name.startsWith("io.fabric8.openshift.api.model.")
            || name.startsWith("io.strimzi.api."))
        && !c.isEnum();
  }
}
