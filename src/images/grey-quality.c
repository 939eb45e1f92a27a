/*
 * The sums behind image-quality.ts's measureQuality in WebAssembly SIMD (scripts/build-wasm.sh): the grey
 * histogram, and the sum and sum of squares of the 4-neighbour Laplacian over the interior pixels. All are
 * sums of integers, exact in any order, so they are the TypeScript loops' (the fallback and the reference,
 * compared in test/images/image-quality.test.ts) bit for bit; JavaScript computes mean, entropy and blur
 * from them in one place.
 *
 * Laplacians are at most ±1020, so they fit int16 lanes; a lane's sum of squares (two per lane from the dot
 * product, at most 2 × 1020² per step) stays inside int32 for the RUN columns summed before widening.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define RUN 2048

static int32_t hist[256 * 2];
static double sums[2];

int32_t *hist_ptr(void) { return hist; }
double *sums_ptr(void) { return sums; }

void quality_sums(const uint8_t *data, int32_t w, int32_t h) {
  const int32_t n = w * h;
  for (int32_t v = 0; v < 512; v++) hist[v] = 0;
  /* Two histograms in turn, so runs of one grey level do not wait on their own increments. */
  int32_t i = 0;
  for (; i + 1 < n; i += 2) {
    hist[data[i]]++;
    hist[256 + data[i + 1]]++;
  }
  if (i < n) hist[data[i]]++;
  for (int32_t v = 0; v < 256; v++) hist[v] += hist[256 + v];
  int64_t s = 0, s2 = 0;
  for (int32_t y = 1; y < h - 1; y++) {
    for (int32_t x0 = 1; x0 < w - 1; x0 += RUN) {
      const int32_t x1 = x0 + RUN < w - 1 ? x0 + RUN : w - 1;
      const uint8_t *c = data + y * w;
      v128_t acc = wasm_i32x4_splat(0);
      v128_t acc2 = wasm_i32x4_splat(0);
      int32_t x = x0;
      for (; x + 8 <= x1; x += 8) {
        const v128_t l = wasm_u16x8_load8x8(c + x - 1);
        const v128_t r = wasm_u16x8_load8x8(c + x + 1);
        const v128_t u = wasm_u16x8_load8x8(c + x - w);
        const v128_t d = wasm_u16x8_load8x8(c + x + w);
        const v128_t m = wasm_u16x8_load8x8(c + x);
        const v128_t lap = wasm_i16x8_sub(wasm_i16x8_add(wasm_i16x8_add(l, r), wasm_i16x8_add(u, d)), wasm_i16x8_shl(m, 2));
        acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(lap));
        acc2 = wasm_i32x4_add(acc2, wasm_i32x4_dot_i16x8(lap, lap));
      }
      int64_t rs = (int64_t)wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
      int64_t rs2 = (int64_t)wasm_i32x4_extract_lane(acc2, 0) + wasm_i32x4_extract_lane(acc2, 1) + wasm_i32x4_extract_lane(acc2, 2) + wasm_i32x4_extract_lane(acc2, 3);
      for (; x < x1; x++) {
        const int32_t lap = c[x - 1] + c[x + 1] + c[x - w] + c[x + w] - 4 * c[x];
        rs += lap;
        rs2 += lap * lap;
      }
      s += rs;
      s2 += rs2;
    }
  }
  sums[0] = (double)s;
  sums[1] = (double)s2;
}
