// GEMM, C[b] = A[b] @ B[b] for float: both operands are first packed into panels so the inner loop reads two
// contiguous streams, then each work-item keeps a 6 x 16 block of C in twelve float8 registers (AVX2 has 16),
// broadcasting one element of A against two vectors of B per step. Transposes and batch broadcasting are
// handled by the packing kernels' strides and per-batch offsets.

#define MR 6
#define NR 16

// Ap[b][panel][k][r] = A[b](panel * MR + r, k), zero past the last row.
__kernel void gemm_pack_a_f32(__global const float* restrict a, __global const int* restrict a_offsets,
                              __global float* restrict packed, const int m, const int k, const int row_stride,
                              const int k_stride, const int panels) {
  const int panel = get_global_id(0);
  const int b = get_global_id(1);
  __global const float* src = a + a_offsets[b];
  __global float* dst = packed + ((size_t)b * panels + panel) * k * MR;
  const int row0 = panel * MR;
  const int rows = min(MR, m - row0);
  for (int kk = 0; kk < k; kk++) {
    for (int r = 0; r < MR; r++) {
      dst[kk * MR + r] = r < rows ? src[(size_t)(row0 + r) * row_stride + (size_t)kk * k_stride] : 0.0f;
    }
  }
}

// Bp[b][panel][k][c] = B[b](k, panel * NR + c), zero past the last column.
__kernel void gemm_pack_b_f32(__global const float* restrict bmat, __global const int* restrict b_offsets,
                              __global float* restrict packed, const int n, const int k, const int k_stride,
                              const int col_stride, const int panels) {
  const int panel = get_global_id(0);
  const int b = get_global_id(1);
  __global const float* src = bmat + b_offsets[b];
  __global float* dst = packed + ((size_t)b * panels + panel) * k * NR;
  const int col0 = panel * NR;
  const int cols = min(NR, n - col0);
  if (cols == NR && col_stride == 1) {
    for (int kk = 0; kk < k; kk++) {
      __global const float* row = src + (size_t)kk * k_stride + col0;
      vstore8(vload8(0, row), 2 * kk, dst);
      vstore8(vload8(1, row), 2 * kk + 1, dst);
    }
    return;
  }
  for (int kk = 0; kk < k; kk++) {
    for (int c = 0; c < NR; c++) {
      dst[kk * NR + c] = c < cols ? src[(size_t)kk * k_stride + (size_t)(col0 + c) * col_stride] : 0.0f;
    }
  }
}

#define FMA_ROW(r) { const float8 a = (float8)(ap[r]); c##r##0 = fma(a, b0, c##r##0); c##r##1 = fma(a, b1, c##r##1); }
#define STORE_ROW(r) if (r < rows) { \
    __global float* dst = out + (size_t)(row0 + r) * n + col0; \
    if (cols == NR) { \
      if (accumulate) { c##r##0 += vload8(0, dst); c##r##1 += vload8(1, dst); } \
      vstore8(c##r##0, 0, dst); vstore8(c##r##1, 0, dst + 8); \
    } else { \
      float t[NR]; vstore8(c##r##0, 0, t); vstore8(c##r##1, 0, t + 8); \
      for (int c = 0; c < cols; c++) dst[c] = accumulate ? dst[c] + t[c] : t[c]; \
    } }

// One 6 x 16 block of C[b] (row stride n, from element c_offset) per work-item, from the packed panels; with
// `accumulate` the product is added to C instead of replacing it.
__kernel void gemm_kernel_f32(__global const float* restrict pa, __global const float* restrict pb,
                              __global float* restrict c, const int m, const int n, const int k,
                              const int a_panels, const int b_panels, const int c_offset, const int accumulate) {
  const int row_panel = get_global_id(0);
  const int col_panel = get_global_id(1);
  const int b = get_global_id(2);
  __global const float* ap = pa + ((size_t)b * a_panels + row_panel) * k * MR;
  __global const float* bp = pb + ((size_t)b * b_panels + col_panel) * k * NR;
  float8 c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f, c20 = 0.0f, c21 = 0.0f;
  float8 c30 = 0.0f, c31 = 0.0f, c40 = 0.0f, c41 = 0.0f, c50 = 0.0f, c51 = 0.0f;
  for (int kk = 0; kk < k; kk++) {
    const float8 b0 = vload8(0, bp);
    const float8 b1 = vload8(1, bp);
    FMA_ROW(0) FMA_ROW(1) FMA_ROW(2) FMA_ROW(3) FMA_ROW(4) FMA_ROW(5)
    ap += MR;
    bp += NR;
  }
  const int row0 = row_panel * MR;
  const int col0 = col_panel * NR;
  const int rows = min(MR, m - row0);
  const int cols = min(NR, n - col0);
  __global float* out = c + c_offset + (size_t)b * m * n;
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
}

// The same 6 x 16 blocking reading A and B in place through strides, for products too small to repay packing
// (one launch instead of three). Rows past the end of A repeat its last row and are not stored; a partial or
// strided column panel of B is read element by element.
#define LOAD_B_PANEL(bk) \
    if (fast_b) { b0 = vload8(0, bk); b1 = vload8(1, bk); } \
    else { float t[NR]; for (int c = 0; c < NR; c++) t[c] = c < cols ? bk[(size_t)c * b_col_stride] : 0.0f; \
           b0 = vload8(0, t); b1 = vload8(1, t); }
#define FMA_DIRECT(r) { const float8 a = (float8)(a##r[(size_t)kk * a_k_stride]); \
    c##r##0 = fma(a, b0, c##r##0); c##r##1 = fma(a, b1, c##r##1); }

__kernel void gemm_direct_f32(__global const float* restrict pa, __global const int* restrict a_offsets,
                              __global const float* restrict pb, __global const int* restrict b_offsets,
                              __global float* restrict c, const int m, const int n, const int k,
                              const int a_row_stride, const int a_k_stride, const int b_k_stride,
                              const int b_col_stride) {
  const int row0 = get_global_id(0) * MR;
  const int col0 = get_global_id(1) * NR;
  const int b = get_global_id(2);
  const int rows = min(MR, m - row0);
  const int cols = min(NR, n - col0);
  const bool fast_b = cols == NR && b_col_stride == 1;
  const int accumulate = 0;
  __global const float* base = pa + a_offsets[b];
  __global const float* a0 = base + (size_t)min(row0 + 0, m - 1) * a_row_stride;
  __global const float* a1 = base + (size_t)min(row0 + 1, m - 1) * a_row_stride;
  __global const float* a2 = base + (size_t)min(row0 + 2, m - 1) * a_row_stride;
  __global const float* a3 = base + (size_t)min(row0 + 3, m - 1) * a_row_stride;
  __global const float* a4 = base + (size_t)min(row0 + 4, m - 1) * a_row_stride;
  __global const float* a5 = base + (size_t)min(row0 + 5, m - 1) * a_row_stride;
  __global const float* bp = pb + b_offsets[b] + (size_t)col0 * b_col_stride;
  float8 c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f, c20 = 0.0f, c21 = 0.0f;
  float8 c30 = 0.0f, c31 = 0.0f, c40 = 0.0f, c41 = 0.0f, c50 = 0.0f, c51 = 0.0f;
  for (int kk = 0; kk < k; kk++) {
    float8 b0, b1;
    __global const float* bk = bp + (size_t)kk * b_k_stride;
    LOAD_B_PANEL(bk)
    FMA_DIRECT(0) FMA_DIRECT(1) FMA_DIRECT(2) FMA_DIRECT(3) FMA_DIRECT(4) FMA_DIRECT(5)
  }
  __global float* out = c + (size_t)b * m * n;
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
}
