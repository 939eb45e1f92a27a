/*
 * The hot loop of jpeg-thumbnail.ts, compiled to WebAssembly (scripts/build-wasm.sh): one sequential scan's
 * Huffman codes walked for the luma block means (or quadrant means). A line-for-line port of decodeScan's
 * sequential case, so it keeps, and fails on, exactly what that keeps and fails on; the TypeScript walker
 * stays as the fallback and the reference (test/dataset/jpeg-walk-wasm.test.ts compares the two).
 *
 * No libc: JavaScript copies each Huffman table's DHT bytes (then calls build_table), the quantisation
 * values and the unstuffed scan bytes into the buffers below and into the heap, then calls
 * decode_sequential. Beyond the port, two lookups the TypeScript walker does not make, each giving the same
 * bits and values as the code-by-code walk: a code with its value bits in one lookup (Table.value), and a
 * chroma block's DC with its first AC codes in one (Block).
 */
#include <stdint.h>

#define LOOK 9
#define SKIP 12
#define QUAD_TERMS 9

/*
 * One Huffman table, built here from its DHT bytes (build_table): what jpeg-thumbnail.ts's buildHuffman and
 * buildSkip make, plus a table for the luma walk that yields a code's value with it. Building here instead of
 * in JavaScript (and copying 20 KB in) was ≈ 8 % of an ants/bees photo's time: optimising encoders write
 * fresh tables into every photo.
 */
typedef struct {
  int32_t look[1 << LOOK];
  int32_t maxcode[18];
  int32_t valptr[17];
  int32_t mincode[17];
  int32_t values[256];
  /* The codes that fit the first lookup (LOOK bits or fewer), in order: code bits and length, symbol. */
  uint16_t code[256];
  uint8_t len[256], sym[256];
  int32_t ncodes;
  /* AC: the skip entries for every window of w = 1..SKIP bits at all[(1 << w) + bits]; skip = the SKIP-bit ones. */
  uint16_t all[1 << (SKIP + 1)];
  /*
   * The code at the top of SKIP bits with its extra bits, when both fit: DC, the difference << 4 | bits used;
   * AC (sizes 1-15), value << 16 | run << 8 | bits used. 0: not in SKIP bits, or an end-of-block or a run of
   * 16 zeros (AC), or a DC category above 11: the walk reads those the long way.
   */
  int32_t value[1 << SKIP];
  /* The DHT bytes JavaScript writes before build_table: 16 counts, then the values. */
  uint8_t src[16 + 256];
} Table;

/* A scan component: its index in the frame, blocks across and in all per MCU, and its table slots. */
typedef struct {
  int32_t comp, bh, nb, dc, ac;
} Sel;

/* Skip-table flag: the codes end with an end-of-block; "no whole code here" (its advance never fits a block). */
#define EOB (1 << 12)
#define NONE (127 << 5)

static Table tables[8];
/* Bumped when a slot gets a new table, so the whole-block tables below know they are stale. */
static uint32_t generation[8];
static Sel sels[4];
static double quad_w[64 * 4];
static double yq[64];

/*
 * A chroma block in one lookup: the DC code and its bits, then the AC skip entry for the bits left (chroma
 * values are never used, so neither is its DC). Entries as the skip table's, the DC counted as one position;
 * NONE when the DC code does not fit in SKIP bits or is invalid (the walk then reads it the long way). Built
 * per (DC, AC) table pair, for the 2 pairs a file uses at most as a rule.
 */
typedef struct {
  int32_t dc, ac;
  uint32_t dc_gen, ac_gen;
  uint16_t t[1 << SKIP];
} Block;
static Block blocks[2];
static int32_t block_next;

Sel *sel_ptr(void) { return sels; }
double *quad_w_ptr(void) { return quad_w; }
double *yq_ptr(void) { return yq; }
uint8_t *table_src(int32_t i) { return tables[i].src; }

static void fill16(uint16_t *d, int32_t n, uint16_t v) {
  for (int32_t f = 0; f < n; f++) d[f] = v;
}
static void fill32(int32_t *d, int32_t n, int32_t v) {
  for (int32_t f = 0; f < n; f++) d[f] = v;
}

/*
 * A window that starts with a code of `used` bits (code and value bits) advancing `adv` positions, `rows`
 * times over (one per value of its bits), then holds the skip entries of the `rest` bits after it: the code
 * chained with what those bits skip, when that stays within `limit` positions. Written once, then copied.
 */
static void chain(uint16_t *d, const uint16_t *all, int32_t used, int32_t adv, int32_t rest, int32_t rows, int32_t limit) {
  const int32_t n = 1 << rest;
  if (rest == 0) {
    fill16(d, rows, (uint16_t)(used | (adv << 5)));
    return;
  }
  const uint16_t *r = all + n;
  for (int32_t j = 0; j < n; j++) {
    const int32_t radv = (r[j] >> 5) & 127;
    d[j] = (uint16_t)(r[j] == NONE || adv + radv > limit ? used | (adv << 5) : (used + (r[j] & 31)) | ((adv + radv) << 5) | (r[j] & EOB));
  }
  for (int32_t v = 1; v < rows; v++)
    for (int32_t j = 0; j < n; j++) d[v * n + j] = d[j];
}

/*
 * Builds slot `i` from its src bytes: buildHuffman and buildSkip in jpeg-thumbnail.ts, and the value table.
 * 0 when the table is over-subscribed (buildHuffman's undefined). The value and skip tables are filled a
 * code at a time, a run of entries per code (a window is its code's bits, its value bits, then what follows):
 * the same entries as filling them one window at a time, ≈ 5× cheaper, which matters because most photos
 * bring tables of their own (test/images/jpeg-walk-wasm.test.ts checks them against the window-by-window
 * definition).
 */
int32_t build_table(int32_t i, int32_t ac) {
  Table *h = &tables[i];
  const uint8_t *counts = h->src;
  const uint8_t *values = h->src + 16;
  generation[i]++;
  fill32(h->look, 1 << LOOK, 0);
  for (int32_t l = 0; l < 18; l++) h->maxcode[l] = -1;
  int32_t code = 0, k = 0, nc = 0;
  for (int32_t len = 1; len <= 16; len++) {
    h->valptr[len] = k;
    h->mincode[len] = code;
    for (int32_t n = 0; n < counts[len - 1]; n++) {
      if (len <= LOOK) {
        const int32_t shift = LOOK - len;
        fill32(h->look + (code << shift), 1 << shift, (len << 8) | values[k]);
        h->code[nc] = (uint16_t)code;
        h->len[nc] = (uint8_t)len;
        h->sym[nc++] = values[k];
      }
      h->values[k] = values[k];
      code++;
      k++;
    }
    if (code >= 1 << len) return 0;
    h->maxcode[len] = counts[len - 1] > 0 ? code - 1 : -1;
    code <<= 1;
  }
  h->maxcode[17] = 0x7fffffff;
  h->ncodes = nc;
  /* Codes and their extra bits within SKIP bits. */
  fill32(h->value, 1 << SKIP, 0);
  for (int32_t c = 0; c < nc; c++) {
    const int32_t len = h->len[c], sym = h->sym[c];
    const int32_t size = ac ? sym & 15 : sym;
    const int32_t used = len + size;
    if (used <= SKIP && size > 0 && (ac || sym <= 11)) {
      for (int32_t bits = 0; bits < (1 << size); bits++) {
        int32_t x = bits;
        if (x < (1 << (size - 1))) x -= (1 << size) - 1;
        const int32_t v = ac ? (int32_t)((uint32_t)x << 16) | ((sym >> 4) << 8) | used : (int32_t)((uint32_t)x << 4) | used;
        fill32(h->value + ((((int32_t)h->code[c] << size) | bits) << (SKIP - used)), 1 << (SKIP - used), v);
      }
    } else if (!ac && sym == 0) {
      fill32(h->value + ((int32_t)h->code[c] << (SKIP - len)), 1 << (SKIP - len), len); /* category 0: a difference of 0 */
    }
  }
  if (!ac) return 1;
  uint16_t *all = h->all;
  fill16(all, 2, NONE); /* unused */
  for (int32_t w = 1; w <= SKIP; w++) {
    uint16_t *d = all + (1 << w);
    fill16(d, 1 << w, NONE);
    for (int32_t c = 0; c < nc; c++) {
      const int32_t len = h->len[c], sym = h->sym[c];
      const int32_t size = sym & 15;
      const int32_t used = len + size;
      if (used > w) continue;
      uint16_t *at = d + ((int32_t)h->code[c] << (w - len));
      if (size == 0 && sym != 0xf0)
        fill16(at, 1 << (w - len), (uint16_t)(used | (1 << 5) | EOB));
      else
        chain(at, all, used, size == 0 ? 16 : (sym >> 4) + 1, w - used, 1 << size, 100);
    }
  }
  return 1;
}

/* The whole-block table for chroma blocks coded with tables dc and ac (see Block), filled a DC code at a time. */
static const uint16_t *block_table(int32_t dc, int32_t ac) {
  for (int32_t i = 0; i < 2; i++) {
    const Block *b = &blocks[i];
    if (b->dc == dc && b->ac == ac && b->dc_gen == generation[dc] && b->ac_gen == generation[ac]) return b->t;
  }
  Block *b = &blocks[block_next];
  block_next ^= 1;
  b->dc = dc;
  b->ac = ac;
  b->dc_gen = generation[dc];
  b->ac_gen = generation[ac];
  const Table *d = &tables[dc];
  fill16(b->t, 1 << SKIP, NONE);
  for (int32_t c = 0; c < d->ncodes; c++) {
    const int32_t len = d->len[c], sym = d->sym[c];
    const int32_t used = len + sym;
    if (sym > 11 || used > SKIP) continue;
    chain(b->t + ((int32_t)d->code[c] << (SKIP - len)), tables[ac].all, used, 1, SKIP - used, 1 << sym, 64);
  }
  return b->t;
}

/* For test/images/jpeg-walk-tables.test.ts, which checks the built tables against their window-by-window definition. */
const uint16_t *table_skip(int32_t i) { return tables[i].all; }
const int32_t *table_value(int32_t i) { return tables[i].value; }
const uint16_t *table_block(int32_t dc, int32_t ac) { return block_table(dc, ac); }

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

/* The next code from table t: e = its length << 8 | its symbol, sym = the symbol (the bits are not taken).
   A code the table does not have ends the scan. */
#define SYMBOL(t)                                                              \
  {                                                                            \
    e = (t)->look[r >> (64 - LOOK)];                                           \
    if (e == 0 && (e = slow_symbol((t), (uint32_t)(r >> 32))) < 0) return 0;   \
    sym = e & 255;                                                             \
  }

/* 1 when the scan decoded cleanly, 0 when anything is off (the caller falls back, as for the TypeScript walker). */
int32_t decode_sequential(const uint8_t *bytes, int32_t length, const int32_t *restarts, int32_t nrestarts,
                          int32_t restart_interval, int32_t mcus_x, int32_t total, int32_t single, int32_t nsel,
                          double *grid, int32_t grid_w, int32_t grid_h, int32_t quad) {
  int32_t pred[4] = {0, 0, 0, 0};
  const int32_t per = quad ? 4 : 1;
  const double q0 = yq[0] / 8;
  const uint16_t *blk[4] = {0, 0, 0, 0};
  for (int32_t s = 0; s < nsel; s++)
    if (sels[s].comp != 0) blk[s] = block_table(sels[s].dc, sels[s].ac);
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
      const uint16_t *bt = blk[s];
      const int32_t bh = sl->bh;
      const int32_t nb = sl->nb;
      for (int32_t b = 0; b < nb; b++) {
        const int32_t bx = single ? mx : mx * bh + (b % bh);
        const int32_t by = single ? my : my * (nb / bh) + (b / bh);
        if (comp == 0 && (bx >= grid_w || by >= grid_h)) return 0;
        int32_t k = 0;
        if (bt) {
          /* A chroma block: its DC and as many AC codes as fit, in one lookup. */
          NEED(SKIP);
          const int32_t t = bt[r >> (64 - SKIP)];
          if (t != NONE) {
            TAKE(t & 31);
            k = ((t >> 5) & 127) | ((t >> 6) & 64);
          }
        }
        int32_t e, sym;
        if (k == 0) {
          /* DC: a category code, then that many bits of difference from the previous block's DC. */
          NEED(16);
          int32_t diff = 0;
          const int32_t v = dc->value[r >> (64 - SKIP)];
          if (v != 0) {
            TAKE(v & 15);
            diff = v >> 4;
          } else {
            SYMBOL(dc);
            TAKE(e >> 8);
            if (sym > 11) return 0;
            if (sym != 0) {
              NEED(sym);
              diff = (int32_t)(r >> (64 - sym));
              TAKE(sym);
              if (diff < (1 << (sym - 1))) diff -= (1 << sym) - 1;
            }
          }
          pred[s] = (int32_t)((uint32_t)pred[s] + (uint32_t)diff); /* wraps as the Int32Array does */
          k = 1;
          if (comp == 0) {
            const int32_t g = (by * grid_w + bx) * per;
            const double mean = pred[s] * q0;
            grid[g] = mean;
            if (quad) {
              double m0 = mean, m1 = mean, m2 = mean, m3 = mean;
              /* The low AC values, one code at a time, while they can still reach a position that counts. */
              while (k <= QUAD_TERMS) {
                NEED(16);
                int32_t val;
                const int32_t v = ac->value[r >> (64 - SKIP)];
                if (v != 0) {
                  /* A code and its value within SKIP bits. */
                  TAKE(v & 255);
                  k += (v >> 8) & 15;
                  if (k > 63) return 0;
                  val = v >> 16;
                } else {
                  SYMBOL(ac);
                  TAKE(e >> 8);
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
                  val = (int32_t)(r >> (64 - size));
                  TAKE(size);
                  if (val < (1 << (size - 1))) val -= (1 << size) - 1;
                }
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
        }
        /* Everything else in the block is skipped, several codes per lookup where the block allows. */
        const uint16_t *skip = ac->all + (1 << SKIP);
        while (k < 64) {
          /* Up to 4 lookups per reload (each takes at most SKIP bits): no refill test between them. */
          NEED(4 * SKIP);
          int32_t t = skip[r >> (64 - SKIP)];
          int32_t adv = (t >> 5) & 127;
          int32_t u = 0;
          while (k + adv <= 64) {
            TAKE(t & 31);
            k = (k + adv) | ((t >> 6) & 64); /* an EOB ends the block */
            if (k >= 64 || ++u == 4) break;
            t = skip[r >> (64 - SKIP)];
            adv = (t >> 5) & 127;
          }
          if (k >= 64 || u == 4) continue;
          /* One code the slow way: long codes, or a span that would run past the block's end. */
          NEED(16);
          SYMBOL(ac);
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
