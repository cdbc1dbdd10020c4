// Index of the extreme element of x viewed as [outer, length, inner], over the middle axis; the first one on
// ties, and the first NaN if there is one (as numpy). $BETTER, a C expression of v and best, says v replaces
// the best so far.
#define ${NAME}_better(v, best) ($BETTER)
__kernel void $NAME(__global const $T* restrict x, __global $OUT* restrict out, const int length, const int inner) {
  const int i = get_global_id(0);
  const int o = get_global_id(1);
  __global const $T* base = x + (long)o * length * inner + i;
  $T best = base[0];
  int at = 0;
  for (int r = 1; r < length; r++) {
    const $T v = base[(long)r * inner];
    if (${NAME}_better(v, best)) {
      best = v;
      at = r;
    }
  }
  out[(long)o * inner + i] = at;
}
