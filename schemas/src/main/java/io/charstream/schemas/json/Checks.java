package io.charstream.schemas.json;

import java.util.regex.Pattern;

/**
 * Field checks for the message records' compact constructors. Each failure names the JSON field, so
 * the error that reaches a user (a rejected status, an error response) says what to fix.
 */
public final class Checks {
  /** Identifiers used as Kafka keys: corpus, model, job and upload ids. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  public static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private Checks() {}

  public static int schemaVersion(int value, int supported) {
    if (value != supported) {
      throw new InvalidFieldException(
          "schemaVersion",
          "version "
              + value
              + " is not supported (this charstream reads version "
              + supported
              + "); produce version "
              + supported
              + " or upgrade charstream");
    }
    return value;
  }

  public static <T> T required(T value, String field) {
    if (value == null) {
      throw new InvalidFieldException(field, "is required but missing or null");
    }
    return value;
  }

  public static String id(String value, String field) {
    required(value, field);
    if (!ID.matcher(value).matches()) {
      throw new InvalidFieldException(
          field,
          "'"
              + abbreviate(value)
              + "' is not a valid id (1-128 characters of A-Z a-z 0-9 . _ : -)");
    }
    return value;
  }

  public static String optionalId(String value, String field) {
    return value == null ? null : id(value, field);
  }

  public static String sha256(String value, String field) {
    required(value, field);
    if (!SHA256.matcher(value).matches()) {
      throw new InvalidFieldException(
          field, "must be 64 lower-case hex digits (a SHA-256), got '" + abbreviate(value) + "'");
    }
    return value;
  }

  public static long atLeast(long value, long min, String field) {
    if (value < min) {
      throw new InvalidFieldException(field, "must be >= " + min + ", got " + value);
    }
    return value;
  }

  public static double positive(double value, String field) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new InvalidFieldException(field, "must be a finite number > 0, got " + value);
    }
    return value;
  }

  public static double nonNegative(double value, String field) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new InvalidFieldException(field, "must be a finite number >= 0, got " + value);
    }
    return value;
  }

  /** A fraction in [0, 1). */
  public static double fraction(double value, String field) {
    if (!(value >= 0 && value < 1)) {
      throw new InvalidFieldException(field, "must be in [0, 1), got " + value);
    }
    return value;
  }

  public static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
