// Softmax cross-entropy of logits [rows, classes] against one integer label ($I) per row; needs softmax.cl of
// the same type in the program. A label outside [0, classes) gives NaN loss and gradient for its row, as TF's
// GPU kernels do (a device cannot raise mid-run).
__kernel void sparse_softmax_xent_${S}_${IS}(__global const $T* restrict logits, __global const $I* restrict labels,
                                             __global $T* restrict loss, __global $T* restrict backprop,
                                             const int classes, const int rows, const int rows_per_item) {
  const int last = min(rows, (int)(get_global_id(0) + 1) * rows_per_item);
  for (int row = get_global_id(0) * rows_per_item; row < last; row++) {
    const long base = (long)row * classes;
    __global const $T* x = logits + base;
    const $I label = labels[row];
    if (label < 0 || label >= classes) {
      loss[row] = NAN;
      for (int c = 0; c < classes; c++) backprop[base + c] = NAN;
      continue;
    }
    const $T m = row_max_$S(x, classes, 1);
    const $T s = row_exp_sum_$S(x, classes, 1, m);
    for (int c = 0; c < classes; c++) backprop[base + c] = exp(x[c] - m) / s - (c == label ? 1 : 0);
    loss[row] = log(s) - (x[label] - m);
  }
}
