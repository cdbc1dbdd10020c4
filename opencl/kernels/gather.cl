// Gathering rows by index and its adjoint. The data is viewed as [outer, rows, inner]; `indices` (of type $I)
// pick rows. An index outside [0, rows) gives zeros (as TF's GPU kernels do) and receives nothing back.

// out[o, i, r] = params[o, indices[i], r]; one work-item per (o, i) pair, copying its inner run.
__kernel void gather_rows_${S}_${IS}(__global const $T* restrict params, __global const $I* restrict indices,
                                     __global $T* restrict out, const int num_indices, const int rows,
                                     const int inner) {
  const int i = get_global_id(0);
  const int o = get_global_id(1);
  const $I at = indices[i];
  __global $T* dst = out + ((long)o * num_indices + i) * inner;
  if (at < 0 || at >= rows) {
    for (int r = 0; r < inner; r++) dst[r] = 0;
    return;
  }
  __global const $T* src = params + ((long)o * rows + at) * inner;
  for (int r = 0; r < inner; r++) dst[r] = src[r];
}

// out = zeros [outer, rows, inner]; out[o, indices[i], r] += dy[o, i, r], in index order (deterministic). Each
// work-item owns a chunk of the inner axis of one `o`, so no two write the same element.
__kernel void scatter_add_rows_${S}_${IS}(__global const $T* restrict dy, __global const $I* restrict indices,
                                         __global $T* restrict out, const int num_indices, const int rows,
                                         const int inner, const int chunk) {
  const int r0 = get_global_id(0) * chunk;
  const int o = get_global_id(1);
  const int r1 = min(r0 + chunk, inner);
  __global $T* base = out + (long)o * rows * inner;
  for (int row = 0; row < rows; row++) {
    for (int r = r0; r < r1; r++) base[(long)row * inner + r] = 0;
  }
  for (int i = 0; i < num_indices; i++) {
    const $I at = indices[i];
    if (at < 0 || at >= rows) continue;
    __global const $T* src = dy + ((long)o * num_indices + i) * inner;
    __global $T* dst = base + (long)at * inner;
    for (int r = r0; r < r1; r++) dst[r] += src[r];
  }
}
