package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class PointersTest {

  @Test
  void addressOfAViewPointsAtItsFirstElement() {
    INDArray flat = Nd4j.linspace(0, 99, 100, DataType.FLOAT).reshape(1, 100);
    INDArray view =
        flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 40)).reshape('f', 5, 6);
    assertThat(Pointers.at(Pointers.address(view)).get(0)).isEqualTo(10f);
    assertThat(Pointers.ofColumnMajor(view, 5, 6).get(7)).isEqualTo(17f);
  }

  @Test
  void sequenceLayoutsAddressEveryElement() {
    INDArray stepsBatchFeatures =
        Nd4j.linspace(0, 59, 60, DataType.FLOAT).reshape('c', 5, 3, 4); // [T][mb][f]
    INDArray seq = stepsBatchFeatures.permute(1, 2, 0); // [mb, f, T]
    Sequence layout = Sequence.of(seq);
    assertThat(layout.transposed()).isFalse();
    float[] row = new float[4];
    layout.at(2, 1).get(row, 0, 4); // step 2, batch row 1
    assertThat(row)
        .containsExactly(
            seq.getFloat(1, 0, 2),
            seq.getFloat(1, 1, 2),
            seq.getFloat(1, 2, 2),
            seq.getFloat(1, 3, 2));

    INDArray f = seq.dup('f');
    Sequence fLayout = Sequence.of(f);
    assertThat(fLayout.transposed()).isTrue();
    assertThat(fLayout.at(2, 1).get(0)).isEqualTo(f.getFloat(1, 0, 2));
    assertThat(fLayout.at(2, 1).get(fLayout.feature())).isEqualTo(f.getFloat(1, 1, 2));
    assertThat(Sequence.of(seq.dup('c'))).as("time-major rows fit neither BLAS form").isNull();
  }
}
