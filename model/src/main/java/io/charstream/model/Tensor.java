package io.charstream.model;

import java.util.Arrays;

/**
 * A named float32 array with its shape, stored row-major ('c' order). Checkpoints hold weights and
 * training state as tensors.
 */
public record Tensor(String name, int[] shape, float[] data) {
  public Tensor {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "tensor "
              + name
              + " of shape "
              + Arrays.toString(shape)
              + " needs "
              + n
              + " values, got "
              + data.length);
    }
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  public int size() {
    return data.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && name.equals(t.name)
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return "Tensor[" + name + " " + Arrays.toString(shape) + "]";
  }
}
