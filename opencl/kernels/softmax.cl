// Row-wise softmax family over x viewed as [outer, length, inner] (the softmax axis in the middle; inner = 1
// for the last axis, which reads rows contiguously). A work-item takes `rows_per_item` rows: for each it finds
// the maximum (NaN propagates, as numpy's max), sums exp(x - max), then writes.

inline $T row_max_$S(__global const $T* x, const int length, const int inner) {
  $T m = -INFINITY;
  for (int r = 0; r < length; r++) {
    const $T v = x[(long)r * inner];
    m = (isnan(v) || v > m) ? v : m;
  }
  return m;
}

inline $T row_exp_sum_$S(__global const $T* x, const int length, const int inner, const $T m) {
  $T s = 0;
  for (int r = 0; r < length; r++) s += exp(x[(long)r * inner] - m);
  return s;
}

// log_mode 0: softmax; 1: log-softmax. Work-item (i, g) takes rows (o, i) for o in g's chunk of `outer`.
__kernel void softmax_$S(__global const $T* restrict x, __global $T* restrict out, const int length,
                         const int inner, const int log_mode, const int outer, const int rows_per_item) {
  const int i = get_global_id(0);
  const int last = min(outer, (int)(get_global_id(1) + 1) * rows_per_item);
  for (int o = get_global_id(1) * rows_per_item; o < last; o++) {
    const long base = (long)o * length * inner + i;
    __global const $T* row = x + base;
    __global $T* dst = out + base;
    const $T m = row_max_$S(row, length, inner);
    const $T s = row_exp_sum_$S(row, length, inner, m);
    if (log_mode) {
      const $T log_s = log(s);
      for (int r = 0; r < length; r++) dst[(long)r * inner] = (row[(long)r * inner] - m) - log_s;
    } else {
      for (int r = 0; r < length; r++) dst[(long)r * inner] = exp(row[(long)r * inner] - m) / s;
    }
  }
}

// Softmax cross-entropy of logits [rows, classes] against label probabilities: loss[row] and its gradient.
__kernel void softmax_xent_$S(__global const $T* restrict logits, __global const $T* restrict labels,
                              __global $T* restrict loss, __global $T* restrict backprop, const int classes,
                              const int rows, const int rows_per_item) {
  const int last = min(rows, (int)(get_global_id(0) + 1) * rows_per_item);
  for (int row = get_global_id(0) * rows_per_item; row < last; row++) {
    const long base = (long)row * classes;
    __global const $T* x = logits + base;
    __global const $T* p = labels + base;
    const $T m = row_max_$S(x, classes, 1);
    const $T s = row_exp_sum_$S(x, classes, 1, m);
    const $T log_s = log(s);
    $T total = 0;
    for (int c = 0; c < classes; c++) {
      const $T shifted = x[c] - m;
      total += p[c] * (log_s - shifted);
      backprop[base + c] = exp(shifted) / s - p[c];
    }
    loss[row] = total;
  }
}
