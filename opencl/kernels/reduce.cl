// Reduction of x viewed as [outer, length, inner] over its middle axis. Work-item (c, o, p) reduces the columns
// c*CHUNK.. of row o over part p of the axis: with one part it writes the finished result; with several, stage
// one writes partial results [outer, parts, inner] that a second launch (MAP = identity) finishes.
// Template: $NAME, $IN and $OUT element types, $ACC accumulator type, $INIT identity, and C expressions $MAP of
// x, $COMBINE of a and b, $FINISH of a (it may use `scale`, an $ACC argument such as the element count).
#define CHUNK 16
#define BLOCK 256
#define ${NAME}_map(x) ($MAP)
#define ${NAME}_combine(a, b) ($COMBINE)
#define ${NAME}_finish(a) ($FINISH)

__kernel void $NAME(__global const $IN* restrict x, __global $OUT* restrict out, const int length, const int inner,
                    const int parts, const int part_length, const $ACC scale) {
  const int c0 = get_global_id(0) * CHUNK;
  const int o = get_global_id(1);
  const int p = get_global_id(2);
  const int columns = min(CHUNK, inner - c0);
  const int r_begin = p * part_length;
  const int r_end = min(length, r_begin + part_length);
  $ACC acc[CHUNK];
  $ACC block[CHUNK];
  for (int c = 0; c < CHUNK; c++) acc[c] = $INIT;
  __global const $IN* base = x + (long)o * length * inner + c0;
  for (int b = r_begin; b < r_end; b += BLOCK) {
    for (int c = 0; c < CHUNK; c++) block[c] = $INIT;
    const int b_end = min(r_end, b + BLOCK);
    for (int r = b; r < b_end; r++) {
      __global const $IN* row = base + (long)r * inner;
      for (int c = 0; c < columns; c++) {
        const $ACC a = block[c];
        const $ACC v = ${NAME}_map(row[c]);
        block[c] = ${NAME}_combine(a, v);
      }
    }
    for (int c = 0; c < columns; c++) {
      const $ACC a = acc[c];
      const $ACC v = block[c];
      acc[c] = ${NAME}_combine(a, v);
    }
  }
  __global $OUT* dst = out + ((long)o * parts + p) * inner + c0;
  for (int c = 0; c < columns; c++) {
    const $ACC a = acc[c];
    dst[c] = ${NAME}_finish(a);
  }
}
