/*
 * The two passes of perceptual-hash.ts's resizeLanczos (Pillow's 8-bit Lanczos arithmetic) in WebAssembly
 * SIMD, four products at a time (scripts/build-wasm.sh). Integer sums are exact in any order: every partial
 * sum stays inside int32 (see resizeLanczos), so the result is the TypeScript pass's, bit for bit, which
 * stays as the fallback and the reference (test/dataset/perceptual-hash.test.ts compares the two).
 *
 * Weights: 22-bit fixed point, `stride` per output, zero past each output's taps and padded to a multiple
 * of 8; the rows read may run up to 7 bytes past the image (times a zero weight), so the caller pads it.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define PRECISION_BITS 22
#define HALF (1 << (PRECISION_BITS - 1))

static inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Horizontal: src (w x h) to dst (out_w x h); output o sums n8[o] pixels from start[o]. */
void resize_h(const uint8_t *src, int32_t w, int32_t h, uint8_t *dst, int32_t out_w, const int32_t *start,
              const int32_t *n8, const int32_t *weights, int32_t stride) {
  for (int32_t y = 0; y < h; y++) {
    const uint8_t *row = src + y * w;
    for (int32_t o = 0; o < out_w; o++) {
      const uint8_t *px = row + start[o];
      const int32_t *wt = weights + o * stride;
      const int32_t n = n8[o];
      v128_t acc = wasm_i32x4_splat(0);
      for (int32_t k = 0; k < n; k += 8) {
        const v128_t p = wasm_u16x8_load8x8(px + k);
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(p), wasm_v128_load(wt + k)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(p), wasm_v128_load(wt + k + 4)));
      }
      const int32_t sum = HALF + wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                          wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
      dst[y * out_w + o] = clip8(sum);
    }
  }
}

/* Vertical: src (w x any) to dst (w x out_h); output row o sums count[o] rows from start[o], four columns at a time. */
void resize_v(const uint8_t *src, int32_t w, uint8_t *dst, int32_t out_h, const int32_t *start, const int32_t *count,
              const int32_t *weights, int32_t stride) {
  for (int32_t o = 0; o < out_h; o++) {
    const uint8_t *first = src + start[o] * w;
    const int32_t *wt = weights + o * stride;
    const int32_t n = count[o];
    int32_t x = 0;
    for (; x + 4 <= w; x += 4) {
      v128_t acc = wasm_i32x4_splat(HALF);
      const uint8_t *px = first + x;
      for (int32_t k = 0; k < n; k++, px += w) {
        const v128_t p = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(px)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(p, wasm_i32x4_splat(wt[k])));
      }
      uint8_t *out = dst + o * w + x;
      out[0] = clip8(wasm_i32x4_extract_lane(acc, 0));
      out[1] = clip8(wasm_i32x4_extract_lane(acc, 1));
      out[2] = clip8(wasm_i32x4_extract_lane(acc, 2));
      out[3] = clip8(wasm_i32x4_extract_lane(acc, 3));
    }
    for (; x < w; x++) {
      int32_t acc = HALF;
      const uint8_t *px = first + x;
      for (int32_t k = 0; k < n; k++, px += w) acc += (int32_t)*px * wt[k];
      dst[o * w + x] = clip8(acc);
    }
  }
}
