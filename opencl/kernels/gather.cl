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

// The row of [rows, inner] data picked by one index tuple at[0..depth): layout holds the indexed dims, then the
// row stride of each; -1 when a component is outside its dim.
inline long nd_row_${S}_${IS}(__global const $I* at, __global const long* layout, const int depth) {
  long row = 0;
  for (int d = 0; d < depth; d++) {
    const $I i = at[d];
    if (i < 0 || i >= layout[d]) return -1;
    row += (long)i * layout[depth + d];
  }
  return row;
}

// out[n, r] = params[row(indices[n, :]), r]; one work-item per index tuple. Out of range gives zeros.
__kernel void gather_nd_${S}_${IS}(__global const $T* restrict params, __global const $I* restrict indices,
                                   __global const long* restrict layout, __global $T* restrict out,
                                   const int depth, const int inner) {
  const int n = get_global_id(0);
  const long row = nd_row_${S}_${IS}(indices + (long)n * depth, layout, depth);
  __global $T* dst = out + (long)n * inner;
  if (row < 0) {
    for (int r = 0; r < inner; r++) dst[r] = 0;
    return;
  }
  __global const $T* src = params + row * inner;
  for (int r = 0; r < inner; r++) dst[r] = src[r];
}

// out = zeros [rows, inner]; out[row(indices[n, :]), r] += updates[n, r] in index order (deterministic). Each
// work-item owns a chunk of the inner axis; an index tuple out of range adds nothing.
__kernel void scatter_nd_${S}_${IS}(__global const $I* restrict indices, __global const $T* restrict updates,
                                    __global const long* restrict layout, __global $T* restrict out,
                                    const int depth, const int num_indices, const long rows, const int inner,
                                    const int chunk) {
  const int r0 = get_global_id(0) * chunk;
  const int r1 = min(r0 + chunk, inner);
  for (long row = 0; row < rows; row++) {
    for (int r = r0; r < r1; r++) out[row * inner + r] = 0;
  }
  for (int n = 0; n < num_indices; n++) {
    const long row = nd_row_${S}_${IS}(indices + (long)n * depth, layout, depth);
    if (row < 0) continue;
    __global const $T* src = updates + (long)n * inner;
    __global $T* dst = out + row * inner;
    for (int r = r0; r < r1; r++) dst[r] += src[r];
  }
}

// out = x with the first lengths[b] entries along the sequence axis reversed, for each index b of the batch
// axis (each axis given by its element stride and size). A length outside [0, seq_size] is clamped to it.
__kernel void reverse_sequence_${S}_${IS}(__global const $T* restrict x, __global const $I* restrict lengths,
                                          __global $T* restrict out, const long n, const long chunk,
                                          const long batch_stride, const int batch_size, const long seq_stride,
                                          const int seq_size) {
  const long start = get_global_id(0) * chunk;
  const long end = min(start + chunk, n);
  for (long e = start; e < end; e++) {
    const int b = (e / batch_stride) % batch_size;
    const int s = (e / seq_stride) % seq_size;
    const long length = clamp((long)lengths[b], 0L, (long)seq_size);
    out[e] = x[s < length ? e + (length - 1 - 2 * s) * seq_stride : e];
  }
}
