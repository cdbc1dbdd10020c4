// Needs softmax.cl (row_max, row_exp_sum) of the same type in the program.
// The same with one integer label per row ($I). A label outside [0, classes) gives NaN loss and gradient for
// its row, as TF's GPU kernels do (a device cannot raise mid-run).
__kernel void sparse_softmax_xent_${S}_${IS}(__global const $T* restrict logits, __global const $I* restrict labels,
                                             __global $T* restrict loss, __global $T* restrict backprop,
                                             const int classes) {
  const int row = get_global_id(0);
  const long base = (long)row * classes;
  __global const $T* x = logits + base;
  const $I label = labels[row];
  if (label < 0 || label >= classes) {
    loss[row] = NAN;
    for (int c = 0; c < classes; c++) backprop[base + c] = NAN;
    return;
  }
  const $T m = row_max_$S(x, classes, 1);
  const $T s = row_exp_sum_$S(x, classes, 1, m);
  for (int c = 0; c < classes; c++) backprop[base + c] = exp(x[c] - m) / s - (c == label ? 1 : 0);
  loss[row] = log(s) - (x[label] - m);
}
