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

/* 64 bits at bit position p, bit p on top (at least 57 of them from the data). */
static inline uint64_t peek64(const uint8_t *b, uint32_t p) {
  uint64_t v;
  __builtin_memcpy(&v, b + (p >> 3), 8);
  return __builtin_bswap64(v) << (p & 7);
}

static int32_t slow_symbol(const Table *h, uint32_t w) {
  for (int32_t len = LOOK + 1; len <= 16; len++) {
    int32_t code = (int32_t)(w >> (32 - len));
    if (code <= h->maxcode[len]) return (len << 8) | h->values[h->valptr[len] + code - h->mincode[len]];
  }
  return -1;
}

/*
 * The bit reader: `r` holds the bits from position p on top, `avail` of them valid (reloaded with 57+ when a
 * read needs more), so most lookups chain a table load on a register instead of a load from the data too.
 * It reads exactly the bits the TypeScript walker reads at the same positions.
 */
#define NEED(n)              \
  if (avail < (n)) {         \
    r = peek64(bytes, p);    \
    avail = 57;              \
  }
#define TAKE(n)              \
  {                          \
    const int32_t n_ = (n);  \
    p += (uint32_t)n_;       \
    r <<= n_;                \
    avail -= n_;             \
  }

/* 1 when the scan decoded cleanly, 0 when anything is off (the caller falls back, as for the TypeScript walker). */
int32_t decode_sequential(const uint8_t *bytes, int32_t length, const int32_t *restarts, int32_t nrestarts,
                          int32_t restart_interval, int32_t mcus_x, int32_t total, int32_t single, int32_t nsel,
                          double *grid, int32_t grid_w, int32_t grid_h, int32_t quad) {
  int32_t pred[4] = {0, 0, 0, 0};
  const int32_t per = quad ? 4 : 1;
  const double q0 = yq[0] / 8;
  uint32_t p = 0;
  uint64_t r = 0;
  int32_t avail = 0;
  int32_t interval = 0;
  uint32_t end = (uint32_t)(interval < nrestarts ? restarts[interval] : length) * 8u;
  for (int32_t mcu = 0; mcu < total; mcu++) {
    if (restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0) {
      if (p > end || end - p >= 8) return 0;
      p = end;
      avail = 0;
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
        /* DC: a category code, then that many bits of difference from the previous block's DC. */
        NEED(16);
        int32_t e = dc->look[r >> (64 - LOOK)];
        if (e == 0 && (e = slow_symbol(dc, (uint32_t)(r >> 32))) < 0) return 0;
        TAKE(e >> 8);
        int32_t sym = e & 255;
        if (sym > 11) return 0;
        int32_t diff = 0;
        if (sym != 0) {
          NEED(sym);
          diff = (int32_t)(r >> (64 - sym));
          TAKE(sym);
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
            /* The low AC values, one code at a time, while they can still reach a position that counts. */
            while (k <= QUAD_TERMS) {
              NEED(16);
              e = ac->look[r >> (64 - LOOK)];
              if (e == 0 && (e = slow_symbol(ac, (uint32_t)(r >> 32))) < 0) return 0;
              TAKE(e >> 8);
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
              NEED(size);
              int32_t val = (int32_t)(r >> (64 - size));
              TAKE(size);
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
        /* Everything else in the block is skipped, several codes per lookup where the block allows. */
        while (k < 64) {
          NEED(SKIP);
          const int32_t t = ac->skip[r >> (64 - SKIP)];
          const int32_t adv = (t >> 5) & 127;
          if (k + adv <= 64) {
            TAKE(t & 31);
            k = (k + adv) | ((t >> 6) & 64); /* an EOB ends the block */
            continue;
          }
          /* One code the slow way: long codes, or a span that would run past the block's end. */
          NEED(16);
          e = ac->look[r >> (64 - LOOK)];
          if (e == 0 && (e = slow_symbol(ac, (uint32_t)(r >> 32))) < 0) return 0;
          sym = e & 255;
          p += (uint32_t)((e >> 8) + (sym & 15)); /* up to 31 bits: past what `r` may hold */
          avail = 0;
          if ((sym & 15) == 0) {
            if (sym != 0xf0) break;
            k += 16;
          } else
            k += (sym >> 4) + 1;
          if (k > 64) return 0;
        }
      }
    }
    if (p > end) return 0; /* read into the zeros past the data: it ended early */
  }
  if (interval != nrestarts) return 0;
  return p <= end && end - p < 8;
}

/*
 * The thumbnail's pixels from the luma grid decode_sequential filled (toImage in jpeg-thumbnail.ts, whose
 * arithmetic this repeats): mean + 128, rounded (+0.5, then truncated as a Uint8Array store does), clamped.
 * Scale 8: one value per block; scale 4: four per block, top-left, top-right, bottom-left, bottom-right.
 */
void to_image(const double *grid, int32_t grid_w, int32_t width, int32_t height, int32_t scale, uint8_t *out) {
  for (int32_t y = 0; y < height; y++) {
    const double *row = scale == 8 ? grid + y * grid_w : grid + (y >> 1) * grid_w * 4 + (y & 1) * 2;
    uint8_t *o = out + y * width;
    for (int32_t x = 0; x < width; x++) {
      const double v = (scale == 8 ? row[x] : row[((x >> 1) << 2) + (x & 1)]) + 128.5;
      o[x] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(int32_t)v;
    }
  }
}
