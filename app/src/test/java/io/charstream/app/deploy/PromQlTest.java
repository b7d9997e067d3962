package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The metric-name extraction the monitoring tests rely on. */
class PromQlTest {

  @Test
  void keepsMetricNamesAndDropsLabelsFunctionsVariablesAndNumbers() {
    assertThat(
            PromQl.metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(charstream_generator_request_duration_seconds_bucket{namespace=~\"$namespace\"}[$__rate_interval])))"))
        .containsExactly("charstream_generator_request_duration_seconds_bucket");
    assertThat(
            PromQl.metricNames(
                "sum by (namespace) (max without (topic) (kafka_consumer_fetch_manager_records_lag{topic=~\".+generate-requests\"})) > 124\n"
                    + "and deriv((sum by (namespace) (up))[10m:1m]) > 0"))
        .containsExactly("kafka_consumer_fetch_manager_records_lag", "up");
    assertThat(
            PromQl.metricNames(
                "time() - a_timestamp_seconds > clamp_min(2 * b_seconds, 6e2) or absent(c) unless on (pod) group_left(x) d offset 5m"))
        .containsExactly("a_timestamp_seconds", "b_seconds", "c", "d");
    assertThat(PromQl.metricNames("sum(rate(x_total[5m])) by (kind) / ignoring(kind) y"))
        .containsExactly("x_total", "y");
    assertThat(PromQl.metricNames("z{a=\"}{[(\"} == bool 1")).containsExactly("z");
    assertThat(PromQl.metricNames("a and on (instance) (b or c) unless (d)"))
        .containsExactly("a", "b", "c", "d");
  }

  @Test
  void grafanaLabelValuesReadsItsSelectorOnly() {
    assertThat(PromQl.templateMetricNames("label_values(charstream_generator_live, namespace)"))
        .containsExactly("charstream_generator_live");
  }

  @Test
  void aMistypedFunctionOrAnUnbalancedExpressionFails() {
    assertThatThrownBy(() -> PromQl.metricNames("rat(x_total[5m])"))
        .hasMessageContaining("unknown PromQL function rat(");
    assertThatThrownBy(() -> PromQl.metricNames("sum(rate(x_total[5m])"))
        .hasMessageContaining("unclosed");
    assertThatThrownBy(() -> PromQl.metricNames("x{a=\"b\"]")).hasMessageContaining("unbalanced");
  }
}
