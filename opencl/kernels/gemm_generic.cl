// GEMM for element types without a tuned kernel (double, integers): each work-item computes eight adjacent
// elements of one row of C[b]; operands are read through strides, so transposes cost nothing extra.
__kernel void gemm_generic_$S(__global const $T* restrict a, __global const int* restrict a_offsets,
                              __global const $T* restrict bmat, __global const int* restrict b_offsets,
                              __global $T* restrict c, const int m, const int n, const int k,
                              const int a_row_stride, const int a_k_stride, const int b_k_stride,
                              const int b_col_stride) {
  const int col0 = get_global_id(0) * 8;
  const int row = get_global_id(1);
  const int b = get_global_id(2);
  __global const $T* ar = a + a_offsets[b] + (size_t)row * a_row_stride;
  __global const $T* bb = bmat + b_offsets[b];
  const int cols = min(8, n - col0);
  $T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int kk = 0; kk < k; kk++) {
    const $T x = ar[(size_t)kk * a_k_stride];
    __global const $T* br = bb + (size_t)kk * b_k_stride;
    for (int j = 0; j < cols; j++) {
      acc[j] += x * br[(size_t)(col0 + j) * b_col_stride];
    }
  }
  __global $T* out = c + ((size_t)b * m + row) * n + col0;
  for (int j = 0; j < cols; j++) {
    out[j] = acc[j];
  }
}
