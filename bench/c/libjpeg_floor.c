/*
 * The decode floor for bench/hash.ts: libjpeg-turbo (the decoder Pillow and libvips use) decoding each JPEG
 * at 1/8 scale to grey, one thread, files already in memory. Nothing is hashed or resized: this is the least
 * work a conventional decoder does to get a thumbnail. Prints "<files> <seconds>".
 *
 *   cc -O2 bench/c/libjpeg_floor.c -o /tmp/libjpeg_floor -ljpeg && /tmp/libjpeg_floor FILE...
 * (Debian: libjpeg62-turbo-dev)
 */
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <time.h>
#include <jpeglib.h>

struct fail { struct jpeg_error_mgr mgr; jmp_buf jump; };

static void on_error(j_common_ptr c) { longjmp(((struct fail *)c->err)->jump, 1); }
static void quiet(j_common_ptr c, int level) { (void)c; (void)level; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  double spent = 0;
  int decoded = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size);
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    if (got != (size_t)size || size < 3 || buf[0] != 0xff || buf[1] != 0xd8) { free(buf); continue; }
    double t0 = now();
    struct jpeg_decompress_struct c;
    struct fail err;
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = on_error;
    err.mgr.emit_message = quiet;
    unsigned char *row = NULL;
    if (setjmp(err.jump)) {
      jpeg_destroy_decompress(&c);
      free(row);
      free(buf);
      continue;
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, buf, size);
    jpeg_read_header(&c, TRUE);
    c.scale_num = 1;
    c.scale_denom = 8;
    c.out_color_space = JCS_GRAYSCALE;
    c.dct_method = JDCT_IFAST;
    jpeg_start_decompress(&c);
    row = malloc(c.output_width * c.output_components);
    while (c.output_scanline < c.output_height) jpeg_read_scanlines(&c, &row, 1);
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    spent += now() - t0;
    decoded++;
    free(row);
    free(buf);
  }
  printf("%d %.6f\n", decoded, spent);
  return 0;
}
