package io.charstream.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResidentMemoryTest {
  @Test
  void readsVmRssInKibibytes() {
    String status = "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t  123456 kB\nThreads:\t42\n";
    assertThat(ResidentMemory.parse(status)).isEqualTo(123456 * 1024.0);
    assertThat(ResidentMemory.parse("Name:\tjava\n")).isNaN();
  }

  @Test
  void thisProcessHasAResidentSetOfAtLeastItsUsedHeap() {
    // The build runs on Linux (CI and the image); elsewhere the gauge is NaN by design.
    Runtime rt = Runtime.getRuntime();
    assertThat(ResidentMemory.bytes()).isGreaterThan((double) (rt.totalMemory() - rt.freeMemory()));
  }
}
