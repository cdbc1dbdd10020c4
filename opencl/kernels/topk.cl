// The k largest entries of each row of x [rows, n], largest first, equal values in index order, NaN after every
// number (numpy's stable sort of the negated row); and whether each target class is among the k largest.
// $BEFORE, a C expression of v and w, says v comes before w in that order; $FINITE, of v, that v is finite.
#define top_k_before_${S}(v, w) ($BEFORE)
#define top_k_finite_${S}(v) ($FINITE)

// One work-item per row: an insertion into the sorted k kept so far, which the outputs hold.
__kernel void top_k_${S}_${IS}(__global const $T* restrict x, __global $T* restrict values,
                               __global $I* restrict indices, const int n, const int k) {
  const long row = get_global_id(0);
  __global const $T* src = x + row * n;
  __global $T* kept = values + row * k;
  __global $I* at = indices + row * k;
  int count = 0;
  for (int j = 0; j < n; j++) {
    const $T v = src[j];
    if (count == k && !top_k_before_${S}(v, kept[k - 1])) continue;
    int p = count < k ? count++ : k - 1;
    for (; p > 0 && top_k_before_${S}(v, kept[p - 1]); p--) {
      kept[p] = kept[p - 1];
      at[p] = at[p - 1];
    }
    kept[p] = v;
    at[p] = j;
  }
}

// out[row] = the target is a class, the row is finite, and fewer than k predictions exceed the target's (so
// every class tied with the k-th largest counts as in the top k).
__kernel void in_top_k_${S}_${IS}(__global const $T* restrict predictions, __global const $I* restrict targets,
                                  __global uchar* restrict out, const int classes, const long k) {
  const long row = get_global_id(0);
  const $I target = targets[row];
  if (target < 0 || target >= classes) {
    out[row] = 0;
    return;
  }
  __global const $T* p = predictions + row * classes;
  const $T chosen = p[target];
  int larger = 0;
  int finite = 1;
  for (int c = 0; c < classes; c++) {
    finite &= top_k_finite_${S}(p[c]);
    larger += p[c] > chosen;
  }
  out[row] = finite && larger < k;
}
