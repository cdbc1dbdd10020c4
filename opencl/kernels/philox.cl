// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): element group g of a run draws from
// philox(counter = (g, round, 0, 0), key), so any work split gives the same numbers and nothing is stored on
// the device between runs; a new key per run gives new numbers.

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

inline uint4 philox4x32(uint4 c, uint2 k) {
  for (int i = 0; i < 10; i++) {
    const uint hi0 = mul_hi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
    const uint hi1 = mul_hi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k += (uint2)(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// Uniform in [0, 1) from 24 random bits (float) or in (0, 1] (for logarithms).
inline float unit_open_right(uint u) { return (u >> 8) * (1.0f / 16777216.0f); }
inline float unit_open_left(uint u) { return ((u >> 8) + 1) * (1.0f / 16777216.0f); }

// Four standard normals from four words: two Box-Muller pairs.
inline float4 normals4(uint4 w) {
  const float r0 = sqrt(-2.0f * log(unit_open_left(w.x))), t0 = 6.283185307179586f * unit_open_right(w.y);
  const float r1 = sqrt(-2.0f * log(unit_open_left(w.z))), t1 = 6.283185307179586f * unit_open_right(w.w);
  return (float4)(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
}
