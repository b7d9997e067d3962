package io.charstream.schemas.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one strict JSON codec of the Kafka contract. Reading rejects what the schemas reject: unknown
 * fields, duplicate fields, wrong types (no "64" for 64, no 1.5 for an int, no number for a
 * string), invalid UTF-8, trailing garbage; errors name the field. Writing leaves out null fields.
 */
public final class Json {
  private static final ObjectMapper MAPPER = strictMapper();

  private Json() {}

  private static ObjectMapper strictMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    // No scalar coercion in either direction: a string is not a number and a number is not a
    // string.
    for (LogicalType t : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
      refuse(mapper, t, CoercionInputShape.String, CoercionInputShape.EmptyString);
    }
    refuse(
        mapper,
        LogicalType.Textual,
        CoercionInputShape.Integer,
        CoercionInputShape.Float,
        CoercionInputShape.Boolean);
    refuse(mapper, LogicalType.Boolean, CoercionInputShape.Integer);
    refuse(mapper, LogicalType.Integer, CoercionInputShape.Float);
    return mapper;
  }

  /** Makes reading a {@code target} from any of {@code inputs} fail instead of converting it. */
  private static void refuse(
      ObjectMapper mapper, LogicalType target, CoercionInputShape... inputs) {
    for (CoercionInputShape input : inputs) {
      mapper.coercionConfigFor(target).setCoercion(input, CoercionAction.Fail);
    }
  }

  /** Parses bytes into a JSON object tree; fails with kind NOT_JSON if they are not one. */
  public static JsonNode readTree(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new MessageFormatException(
          MessageFormatException.Kind.NOT_JSON, null, "empty record: expected a JSON object", null);
    }
    try {
      // Decode strictly first: Jackson would replace invalid UTF-8 silently in some paths.
      String text = Utf8.decode(bytes);
      JsonNode node = MAPPER.readTree(text);
      if (node == null || !node.isObject()) {
        throw new MessageFormatException(
            MessageFormatException.Kind.NOT_JSON,
            null,
            "expected a JSON object, got "
                + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()),
            null);
      }
      return node;
    } catch (CharacterCodingException e) {
      throw new MessageFormatException(
          MessageFormatException.Kind.NOT_JSON, null, "record is not valid UTF-8", e);
    } catch (JsonProcessingException e) {
      throw new MessageFormatException(
          MessageFormatException.Kind.NOT_JSON,
          null,
          "record is not valid JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  /** Binds a parsed object to a message record; fails with kind INVALID_FIELD naming the field. */
  public static <T> T fromTree(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw translate(e, type, node);
    } catch (InvalidFieldException e) {
      throw new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD, e.field(), e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD,
          null,
          "invalid " + type.getSimpleName() + ": " + e.getMessage(),
          e);
    }
  }

  /** {@link #readTree} then {@link #fromTree}. */
  public static <T> T read(byte[] bytes, Class<T> type) {
    return fromTree(readTree(bytes), type);
  }

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Writes with the declared type, so that polymorphic types carry their discriminator. */
  public static <T> byte[] write(T value, Class<T> declaredType) {
    try {
      return MAPPER.writerFor(declaredType).writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot write " + declaredType.getSimpleName() + " as JSON", e);
    }
  }

  public static String writeString(Object value) {
    return new String(write(value), StandardCharsets.UTF_8);
  }

  /** The text of a top-level string field of a tree, or null: to name a request in an error. */
  public static String textField(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static MessageFormatException translate(
      JsonProcessingException e, Class<?> type, JsonNode root) {
    // Our own compact-constructor checks arrive wrapped in ValueInstantiationException.
    Throwable cause = e instanceof ValueInstantiationException ? e.getCause() : null;
    String path = e instanceof JsonMappingException jme ? path(jme) : null;
    if (cause instanceof InvalidFieldException ife) {
      String field = prefix(path, ife.field());
      return new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD,
          field,
          ife.getMessage().replace("'" + ife.field() + "'", "'" + field + "'"),
          e);
    }
    if (e instanceof UnrecognizedPropertyException upe) {
      String known =
          upe.getKnownPropertyIds() == null
              ? ""
              : upe.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", "));
      return new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD,
          path,
          "unknown field '"
              + path
              + "' in "
              + type.getSimpleName()
              + " (known fields: "
              + known
              + ")",
          e);
    }
    if (e instanceof InvalidTypeIdException itie) {
      String id = itie.getTypeId();
      String field = prefix(path, "type");
      return new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD,
          field,
          "field '"
              + field
              + "': "
              + (id == null
                  ? "is required but missing"
                  : "unknown type '" + Checks.abbreviate(id) + "'")
              + " (known types: "
              + knownTypes(itie)
              + ")",
          e);
    }
    if (e instanceof MismatchedInputException mie) {
      JsonNode actual = at(root, mie);
      if (actual == null || actual.isMissingNode()) {
        return new MessageFormatException(
            MessageFormatException.Kind.INVALID_FIELD,
            path,
            "field '" + path + "': is required but missing",
            e);
      }
      return new MessageFormatException(
          MessageFormatException.Kind.INVALID_FIELD,
          path,
          "field '"
              + path
              + "': expected "
              + simpleTypeName(mie.getTargetType())
              + ", got "
              + describe(actual, e),
          e);
    }
    String msg =
        cause != null && cause.getMessage() != null ? cause.getMessage() : e.getOriginalMessage();
    return new MessageFormatException(
        MessageFormatException.Kind.INVALID_FIELD,
        path,
        (path == null || path.isEmpty() ? "" : "field '" + path + "': ") + msg,
        e);
  }

  private static String knownTypes(InvalidTypeIdException e) {
    String m = e.getOriginalMessage();
    int i = m.indexOf("known type ids = ");
    return i < 0
        ? "see the schema"
        : m.substring(i + "known type ids = ".length()).replace("[", "").replace("]", "");
  }

  /** The tree node at the exception's path, to say what was found instead. */
  private static JsonNode at(JsonNode root, JsonMappingException e) {
    JsonNode n = root;
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (n == null) return null;
      n = ref.getFieldName() != null ? n.get(ref.getFieldName()) : n.get(ref.getIndex());
    }
    return n;
  }

  private static String describe(JsonNode n, JsonProcessingException e) {
    if (n == null) return e.getOriginalMessage().lines().findFirst().orElse("something else");
    String kind =
        switch (n.getNodeType()) {
          case STRING -> "the string";
          case NUMBER ->
              n.isIntegralNumber()
                  ? (n.canConvertToInt() ? "the integer" : "the out-of-range integer")
                  : "the number";
          case BOOLEAN -> "the boolean";
          case NULL -> "null";
          case ARRAY -> "an array";
          case OBJECT -> "an object";
          default -> n.getNodeType().toString().toLowerCase();
        };
    return n.isValueNode() && !n.isNull() ? kind + " " + Checks.abbreviate(n.toString()) : kind;
  }

  private static String prefix(String path, String field) {
    return path == null || path.isEmpty() ? field : path + "." + field;
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) sb.append('.');
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String simpleTypeName(Class<?> t) {
    if (t == null) return "value";
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class)
      return "an integer";
    if (t == double.class || t == Double.class || t == float.class || t == Float.class)
      return "a number";
    if (t == boolean.class || t == Boolean.class) return "a boolean (true or false)";
    if (t == String.class) return "a string";
    if (t.isEnum()) {
      return "one of "
          + java.util.Arrays.stream(t.getEnumConstants())
              .map(c -> "\"" + ((Enum<?>) c).name().toLowerCase() + "\"")
              .collect(Collectors.joining(", "));
    }
    if (java.util.Collection.class.isAssignableFrom(t)) return "an array";
    return "an object (" + t.getSimpleName() + ")";
  }
}
