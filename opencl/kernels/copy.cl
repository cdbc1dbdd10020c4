// Data movement. copy_strided: dst[dst_base + sum(i_d * dst_stride_d)] = src[src_base + sum(i_d * src_stride_d)]
// over an iteration space of up to 8 axes (layout = dims, source strides, destination strides); each work-item
// walks a contiguous chunk of it like an odometer, so offsets are recomputed once per chunk.
__kernel void copy_strided_$S(__global const $T* restrict src, __global $T* restrict dst,
                              __global const int* restrict layout, const int rank, const int n, const int chunk,
                              const int src_base, const int dst_base) {
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, n);
  if (start >= end) return;
  __global const int* dims = layout;
  __global const int* src_strides = layout + rank;
  __global const int* dst_strides = layout + 2 * rank;
  int index[8];
  int rest = start;
  long s = src_base, d = dst_base;
  for (int a = rank - 1; a >= 0; a--) {
    index[a] = rest % dims[a];
    rest /= dims[a];
    s += (long)index[a] * src_strides[a];
    d += (long)index[a] * dst_strides[a];
  }
  const int last = rank - 1;
  const int ls = src_strides[last], ld = dst_strides[last], ln = dims[last];
  int i = start;
  while (i < end) {
    const int run = min(end - i, ln - index[last]);
    for (int j = 0; j < run; j++) {
      dst[d + (long)j * ld] = src[s + (long)j * ls];
    }
    i += run;
    s += (long)run * ls;
    d += (long)run * ld;
    index[last] += run;
    for (int a = last; a > 0 && index[a] == dims[a]; a--) {
      s -= (long)dims[a] * src_strides[a];
      d -= (long)dims[a] * dst_strides[a];
      index[a] = 0;
      index[a - 1] += 1;
      s += src_strides[a - 1];
      d += dst_strides[a - 1];
    }
  }
}

// dst[i] = src[indices[i]], or `fill` where the index is negative (padding).
__kernel void copy_indexed_$S(__global const $T* restrict src, __global const int* restrict indices,
                              __global $T* restrict dst, const int n, const int chunk, const $T fill) {
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, n);
  for (int i = start; i < end; i++) {
    const int at = indices[i];
    dst[i] = at < 0 ? fill : src[at];
  }
}

// dst[i] = the sum of src[positions[j]] for j in [offsets[i], offsets[i + 1]), in that order: a scatter-add
// whose pattern is known when the plan is made, turned into a gather so no two work-items write one element.
__kernel void gather_sum_$S(__global const $T* restrict src, __global const int* restrict offsets,
                            __global const int* restrict positions, __global $T* restrict dst, const int n,
                            const int chunk) {
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, n);
  for (int i = start; i < end; i++) {
    $T total = 0;
    for (int j = offsets[i]; j < offsets[i + 1]; j++) total += src[positions[j]];
    dst[i] = total;
  }
}
