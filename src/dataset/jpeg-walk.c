/*
 * The hot loop of jpeg-thumbnail.ts, compiled to WebAssembly (scripts/build-wasm.sh): one sequential scan's
 * Huffman codes walked for the luma block means (or quadrant means). A line-for-line port of decodeScan's
 * sequential case, so it keeps, and fails on, exactly what that keeps and fails on; the TypeScript walker
 * stays as the fallback and the reference (test/dataset/jpeg-walk-wasm.test.ts compares the two).
 *
 * No libc: JavaScript copies the tables, quantisation values and unstuffed scan bytes into the buffers
 * below and into the heap, then calls decode_sequential.
 */
#include <stdint.h>

#define LOOK 9
#define SKIP 12
#define QUAD_TERMS 9

/* One Huffman table as jpeg-thumbnail.ts builds it (Huffman); values widened to int32. */
typedef struct {
  int32_t look[1 << LOOK];
  int32_t maxcode[18];
  int32_t valptr[17];
  int32_t mincode[17];
  int32_t values[256];
  int32_t skip[1 << SKIP];
} Table;

/* A scan component: its index in the frame, blocks across and in all per MCU, and its table slots. */
typedef struct {
  int32_t comp, bh, nb, dc, ac;
} Sel;

static Table tables[8];
static Sel sels[4];
static double quad_w[64 * 4];
static double yq[64];

Table *table_ptr(int32_t i) { return &tables[i]; }
Sel *sel_ptr(void) { return sels; }
double *quad_w_ptr(void) { return quad_w; }
double *yq_ptr(void) { return yq; }

/* The 32 bits at bit position p (big-endian), shifted so bit p is the top bit: what DataView.getUint32 << (p & 7) gives. */
static inline uint32_t peek(const uint8_t *b, uint32_t p) {
  const uint8_t *q = b + (p >> 3);
  uint32_t v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | (uint32_t)q[3];
  return v << (p & 7);
}

static int32_t slow_symbol(const Table *h, uint32_t w) {
  for (int32_t len = LOOK + 1; len <= 16; len++) {
    int32_t code = (int32_t)(w >> (32 - len));
    if (code <= h->maxcode[len]) return (len << 8) | h->values[h->valptr[len] + code - h->mincode[len]];
  }
  return -1;
}

/* 1 when the scan decoded cleanly, 0 when anything is off (the caller falls back, as for the TypeScript walker). */
int32_t decode_sequential(const uint8_t *bytes, int32_t length, const int32_t *restarts, int32_t nrestarts,
                          int32_t restart_interval, int32_t mcus_x, int32_t total, int32_t single, int32_t nsel,
                          double *grid, int32_t grid_w, int32_t grid_h, int32_t quad) {
  int32_t pred[4] = {0, 0, 0, 0};
  const int32_t per = quad ? 4 : 1;
  const double q0 = yq[0] / 8;
  uint32_t p = 0;
  int32_t interval = 0;
  uint32_t end = (uint32_t)(interval < nrestarts ? restarts[interval] : length) * 8u;
  for (int32_t mcu = 0; mcu < total; mcu++) {
    if (restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0) {
      if (p > end || end - p >= 8) return 0;
      p = end;
      interval++;
      end = (uint32_t)(interval < nrestarts ? restarts[interval] : length) * 8u;
      pred[0] = pred[1] = pred[2] = pred[3] = 0;
    }
    const int32_t mx = mcu % mcus_x;
    const int32_t my = (mcu - mx) / mcus_x;
    for (int32_t s = 0; s < nsel; s++) {
      const Sel *sl = &sels[s];
      const int32_t comp = sl->comp;
      const Table *dc = &tables[sl->dc];
      const Table *ac = &tables[sl->ac];
      const int32_t bh = sl->bh;
      const int32_t nb = sl->nb;
      for (int32_t b = 0; b < nb; b++) {
        const int32_t bx = single ? mx : mx * bh + (b % bh);
        const int32_t by = single ? my : my * (nb / bh) + (b / bh);
        if (comp == 0 && (bx >= grid_w || by >= grid_h)) return 0;
        uint32_t w = peek(bytes, p);
        int32_t e = dc->look[w >> (32 - LOOK)];
        if (e == 0 && (e = slow_symbol(dc, w)) < 0) return 0;
        p += (uint32_t)(e >> 8);
        int32_t sym = e & 255;
        if (sym > 11) return 0;
        int32_t diff = 0;
        if (sym != 0) {
          diff = (int32_t)(peek(bytes, p) >> (32 - sym));
          p += (uint32_t)sym;
          if (diff < (1 << (sym - 1))) diff -= (1 << sym) - 1;
        }
        pred[s] = (int32_t)((uint32_t)pred[s] + (uint32_t)diff); /* wraps as the Int32Array does */
        int32_t k = 1;
        if (comp == 0) {
          const int32_t g = (by * grid_w + bx) * per;
          const double mean = pred[s] * q0;
          grid[g] = mean;
          if (quad) {
            double m0 = mean, m1 = mean, m2 = mean, m3 = mean;
            while (k <= QUAD_TERMS) {
              w = peek(bytes, p);
              e = ac->look[w >> (32 - LOOK)];
              if (e == 0 && (e = slow_symbol(ac, w)) < 0) return 0;
              p += (uint32_t)(e >> 8);
              sym = e & 255;
              const int32_t size = sym & 15;
              if (size == 0) {
                if (sym == 0xf0) {
                  k += 16;
                  continue;
                }
                k = 64;
                break;
              }
              k += sym >> 4;
              if (k > 63) return 0;
              int32_t val = (int32_t)(peek(bytes, p) >> (32 - size));
              p += (uint32_t)size;
              if (val < (1 << (size - 1))) val -= (1 << size) - 1;
              if (k <= QUAD_TERMS) {
                const double f = val * yq[k];
                m0 += f * quad_w[k * 4];
                m1 += f * quad_w[k * 4 + 1];
                m2 += f * quad_w[k * 4 + 2];
                m3 += f * quad_w[k * 4 + 3];
              }
              k++;
            }
            if (k > 64) return 0;
            grid[g] = m0;
            grid[g + 1] = m1;
            grid[g + 2] = m2;
            grid[g + 3] = m3;
          }
        }
        while (k < 64) {
          w = peek(bytes, p);
          const int32_t t = ac->skip[w >> (32 - SKIP)];
          const int32_t adv = (t >> 5) & 127;
          if (k + adv <= 64) {
            p += (uint32_t)(t & 31);
            k = (k + adv) | ((t >> 6) & 64);
            continue;
          }
          e = ac->look[w >> (32 - LOOK)];
          if (e == 0 && (e = slow_symbol(ac, w)) < 0) return 0;
          sym = e & 255;
          p += (uint32_t)((e >> 8) + (sym & 15));
          if ((sym & 15) == 0) {
            if (sym != 0xf0) break;
            k += 16;
          } else
            k += (sym >> 4) + 1;
          if (k > 64) return 0;
        }
      }
    }
    if (p > end) return 0;
  }
  if (interval != nrestarts) return 0;
  return p <= end && end - p < 8;
}
