// Running sums along the middle axis of x viewed as [outer, length, inner], summed in index order (the order
// numpy's cumsum adds in, so float results round alike). `exclusive` leaves each element out of its own sum;
// `reverse` runs from the end of the axis.

// One work-item per (column, outer index): a sequential pass down its column.
__kernel void cumsum_${S}(__global const $T* restrict x, __global $T* restrict out, const int length,
                          const int inner, const int exclusive, const int reverse) {
  const int c = get_global_id(0);
  const int o = get_global_id(1);
  const long step = reverse ? -(long)inner : (long)inner;
  long at = (long)o * length * inner + c + (reverse ? (long)(length - 1) * inner : 0);
  $T total = 0;
  for (int i = 0; i < length; i++, at += step) {
    const $T v = x[at];
    if (exclusive) {
      out[at] = total;
      total += v;
    } else {
      total += v;
      out[at] = total;
    }
  }
}
