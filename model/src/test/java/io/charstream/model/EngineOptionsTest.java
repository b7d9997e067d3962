package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EngineOptionsTest {

  @Test
  void noSettingsGiveTheDefaults() {
    assertThat(EngineOptions.fromSettings(Map.of(), Map.of())).isEqualTo(EngineOptions.defaults());
    assertThat(EngineOptions.defaults().layers()).isEqualTo(EngineOptions.Layers.FUSED);
    assertThat(EngineOptions.defaults().threads()).isBetween(1, 2);
  }

  @Test
  void aSystemPropertyWinsOverTheEnvironment() {
    EngineOptions o =
        EngineOptions.fromSettings(
            Map.of(
                "CHARSTREAM_LAYERS", "stock",
                "CHARSTREAM_FUSED_THREADS", "3",
                "CHARSTREAM_FUSED_GENERATION_BLAS", "false",
                "CHARSTREAM_FUSED_VECTOR", "false"),
            Map.of("charstream.fused.threads", "5"));
    assertThat(o).isEqualTo(new EngineOptions(EngineOptions.Layers.STOCK, 5, false, false));
  }

  @Test
  void aBadValueNamesItsSettingAndTheValuesItTakes() {
    assertThatThrownBy(
            () -> EngineOptions.fromSettings(Map.of("CHARSTREAM_FUSED_THREADS", "0"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "environment variable CHARSTREAM_FUSED_THREADS must be an integer 1..64, got '0'");
    assertThatThrownBy(
            () -> EngineOptions.fromSettings(Map.of(), Map.of("charstream.layers", "fast")))
        .hasMessageContaining("system property charstream.layers='fast'")
        .hasMessageContaining("'fused' (default) or 'stock'");
    assertThatThrownBy(
            () ->
                EngineOptions.fromSettings(
                    Map.of("CHARSTREAM_FUSED_GENERATION_BLAS", "yes"), Map.of()))
        .hasMessage(
            "environment variable CHARSTREAM_FUSED_GENERATION_BLAS must be true or false, got 'yes'");
    assertThatThrownBy(() -> new EngineOptions(EngineOptions.Layers.FUSED, 65, true, true))
        .hasMessageContaining("1..64");
  }
}
