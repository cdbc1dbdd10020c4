// The random-number kernel; needs philox.cl in the same program. Floating types get float precision.

// kind 0: uniform [0, 1); 1: standard normal; 2: normal truncated to two standard deviations (redrawn, as TF);
// 3: integers in [low, low + range).
__kernel void random_$S(__global $T* restrict out, const int n, const int chunk, const uint key0, const uint key1,
                        const int kind, const long low, const ulong range) {
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, n);
  const uint2 key = (uint2)(key0, key1);
  for (int group = start / 4; group * 4 < end; group++) {
    const uint4 words = philox4x32((uint4)(group, 0, 0, 0), key);
    float4 values;
    if (kind == 0) {
      values = (float4)(unit_open_right(words.x), unit_open_right(words.y), unit_open_right(words.z),
                        unit_open_right(words.w));
    } else if (kind >= 1 && kind <= 2) {
      values = normals4(words);
    }
    for (int j = 0; j < 4; j++) {
      const int i = group * 4 + j;
      if (i < start || i >= end) continue;
      if (kind == 3) {
        const uint w = j == 0 ? words.x : j == 1 ? words.y : j == 2 ? words.z : words.w;
        const ulong wide = ((ulong)w << 32) | philox4x32((uint4)(group, 1, 0, 0), key).x;
        out[i] = ($T)(low + (long)(wide % range));
        continue;
      }
      float v = j == 0 ? values.x : j == 1 ? values.y : j == 2 ? values.z : values.w;
      for (uint round = 1; kind == 2 && fabs(v) > 2.0f && round < 64; round++) {
        const float4 again = normals4(philox4x32((uint4)(group, round, 0, 0), key));
        v = j == 0 ? again.x : j == 1 ? again.y : j == 2 ? again.z : again.w;
      }
      out[i] = ($T)v;
    }
  }
}
