package io.charstream.app.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, for checking a dashboard's and the alerts' queries
 * against what the workers serve. It strips what is not a metric name (strings, label matchers,
 * ranges, Grafana variables, label lists of by/without/on/ignoring/group_*, numbers, keywords) and
 * keeps every identifier left that is not called as a function; a called identifier that is not a
 * PromQL function or aggregation is an error, so a typo cannot hide as a "function". Syntax proper
 * is promtool's (MonitoringIT).
 */
final class PromQl {

  /** PromQL's functions and aggregation operators (Prometheus 2.x). */
  static final Set<String> FUNCTIONS =
      Set.of(
          "abs",
          "absent",
          "absent_over_time",
          "acos",
          "acosh",
          "asin",
          "asinh",
          "atan",
          "atanh",
          "avg_over_time",
          "ceil",
          "changes",
          "clamp",
          "clamp_max",
          "clamp_min",
          "cos",
          "cosh",
          "count_over_time",
          "day_of_month",
          "day_of_week",
          "day_of_year",
          "days_in_month",
          "deg",
          "delta",
          "deriv",
          "exp",
          "floor",
          "histogram_count",
          "histogram_fraction",
          "histogram_quantile",
          "histogram_sum",
          "holt_winters",
          "hour",
          "idelta",
          "increase",
          "irate",
          "label_join",
          "label_replace",
          "last_over_time",
          "ln",
          "log10",
          "log2",
          "mad_over_time",
          "max_over_time",
          "min_over_time",
          "minute",
          "month",
          "pi",
          "predict_linear",
          "present_over_time",
          "quantile_over_time",
          "rad",
          "rate",
          "resets",
          "round",
          "scalar",
          "sgn",
          "sin",
          "sinh",
          "sort",
          "sort_desc",
          "sqrt",
          "stddev_over_time",
          "stdvar_over_time",
          "sum_over_time",
          "tan",
          "tanh",
          "time",
          "timestamp",
          "vector",
          "year",
          // aggregation operators
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile");

  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "atan2",
          "inf",
          "nan",
          "Inf",
          "NaN");

  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern LABELS = Pattern.compile("\\{[^}]*\\}");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern GRAFANA_VAR =
      Pattern.compile("\\$\\{[^}]*\\}|\\$[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern LABEL_LIST =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-zA-Z]+");
  private static final Pattern NUMBER =
      Pattern.compile(
          "(?<![A-Za-z0-9_:])(?:0x[0-9a-fA-F]+|[0-9]+(?:\\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");

  private PromQl() {}

  /** The metric names {@code expr} selects; fails on an unknown function or unbalanced brackets. */
  static Set<String> metricNames(String expr) {
    balanced(expr);
    String s = STRING.matcher(expr).replaceAll(" ");
    s = LABELS.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = GRAFANA_VAR.matcher(s).replaceAll(" ");
    s = LABEL_LIST.matcher(s).replaceAll(" ");
    s = OFFSET.matcher(s).replaceAll(" ");
    s = NUMBER.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String id = m.group();
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) next++;
      boolean called = next < s.length() && s.charAt(next) == '(';
      if (KEYWORDS.contains(id)) {
        continue; // binary operators and modifiers: "a and (b)" calls nothing
      }
      if (called) {
        if (!FUNCTIONS.contains(id)) {
          throw new IllegalArgumentException("unknown PromQL function " + id + "( in: " + expr);
        }
      } else if (!KEYWORDS.contains(id) && !FUNCTIONS.contains(id)) {
        names.add(id);
      }
    }
    return names;
  }

  /**
   * The metric a Grafana template query {@code label_values(selector, label)} reads; other queries
   * are PromQL.
   */
  static Set<String> templateMetricNames(String query) {
    Matcher m =
        Pattern.compile("^\\s*label_values\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$")
            .matcher(query);
    return metricNames(m.matches() ? m.group(1) : query);
  }

  private static void balanced(String expr) {
    List<Character> open = new ArrayList<>();
    boolean inString = false;
    char quote = 0;
    for (int i = 0; i < expr.length(); i++) {
      char c = expr.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == quote) inString = false;
        continue;
      }
      switch (c) {
        case '"', '\'' -> {
          inString = true;
          quote = c;
        }
        case '(', '[', '{' -> open.add(c);
        case ')', ']', '}' -> {
          char want = c == ')' ? '(' : c == ']' ? '[' : '{';
          if (open.isEmpty() || open.remove(open.size() - 1) != want) {
            throw new IllegalArgumentException("unbalanced '" + c + "' at " + i + " in: " + expr);
          }
        }
        default -> {}
      }
    }
    if (inString || !open.isEmpty()) {
      throw new IllegalArgumentException(
          "unclosed " + (inString ? "string" : open) + " in: " + expr);
    }
  }
}
