/*
 * Crop + greyscale + stretch of a plate crop, compiled to WebAssembly (scripts/build-wasm.sh) and
 * called from src/vision/resize.ts. It reproduces sharp 0.35 / libvips 8.18 for
 *   sharp(raw rgb).extract(box).resize(w, h, { fit: 'fill', kernel: 'linear' }).greyscale().raw()
 * because the recogniser was trained and evaluated on sharp's pixels (test/vision-resize.test.ts
 * compares the two). These steps were first written in TypeScript; here they take a third of the
 * time, with identical pixels: the arithmetic is the same IEEE double and 32-bit integer
 * arithmetic, and there is no -ffast-math.
 *
 * What libvips does, step by step, and so what this file does:
 * 1. greyscale BEFORE resizing (sharp's pipeline order), through linear light: 8-bit sRGB to
 *    linear with a float lookup table, Y = 0.2126 R + 0.7152 G + 0.0722 B, then back to 8-bit
 *    sRGB by interpolating in an integer lookup table.
 * 2. vertical reduce, then horizontal reduce, for each axis that shrinks (vips_reducev/h):
 *    when the axis shrinks by 4x or more, first an integer box shrink by k = floor(factor / 2)
 *    (vips "gap" 2.0), with libvips' own fixed-point average; then a triangle filter as wide as
 *    the remaining factor, centred on each output pixel's centre, with 12-bit integer weights
 *    and edge pixels repeated.
 * 3. for the axes that grow, one bilinear pass (vips_affine) sampling input x = out x / scale
 *    - 0.5, edge pixels repeated. An axis with scale 1 in that pass is still shifted by half a
 *    pixel, as libvips does.
 *
 * Freestanding: no libc. Memory is laid out by the caller: the lookup tables (filled once from
 * TypeScript, which has Math.pow), then per call the RGB rows of the box, the output, and scratch
 * space for the intermediate planes, handed out by a bump allocator that each call resets.
 */
#include <stdint.h>

/* libvips' fixed-point scale for resampling weights (VIPS_INTERPOLATE_SHIFT). */
#define SHIFT 12
#define ONE (1 << SHIFT)
#define HALF (ONE >> 1)
#define STEPS 64

/* Filled by TypeScript through table_address(): see the tables in resize.ts. */
static double share_r[256], share_g[256], share_b[256];
static int32_t from_linear[257];
static int16_t stepped[256 * STEPS + 1];

enum { TABLE_SHARE_R, TABLE_SHARE_G, TABLE_SHARE_B, TABLE_FROM_LINEAR, TABLE_STEPPED };

__attribute__((export_name("table_address"))) void *table_address(int table) {
  switch (table) {
    case TABLE_SHARE_R: return share_r;
    case TABLE_SHARE_G: return share_g;
    case TABLE_SHARE_B: return share_b;
    case TABLE_FROM_LINEAR: return from_linear;
    default: return stepped;
  }
}

static uint8_t *scratch;

static void *take(uint32_t bytes) {
  void *p = scratch;
  scratch += (bytes + 7) & ~7u;
  return p;
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }
static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }
/* JavaScript's Math.round, which the lookup tables were built with: halves go up. */
static double js_round(double x) { return __builtin_floor(x + 0.5); }

/* libvips' last step to grey: linear light (times 255, float32) to 8-bit sRGB, interpolating. */
static int to_srgb(double at) {
  int i = (int)at;
  int lo = from_linear[i];
  return (int)js_round(lo + (from_linear[i + 1] - lo) * (double)(float)(at - i));
}

static uint8_t *grey(const uint8_t *rgb, int w, int h) {
  uint8_t *out = take((uint32_t)(w * h));
  for (int q = 0, n = w * h; q < n; q++, rgb += 3) {
    /* The weights sum to a hair over 1, so white can land just above 255. Most pixels are looked
       up in `stepped`; it holds -1 where the output changes inside a 1/64 step. */
    double at = dmin(255, (share_r[rgb[0]] + share_g[rgb[1]] + share_b[rgb[2]]) * 255);
    int g = stepped[(int)(at * STEPS)];
    out[q] = (uint8_t)(g >= 0 ? g : to_srgb(at));
  }
  return out;
}

/* `len` samples along the axis being resampled, `lines` across it. */
typedef struct {
  uint8_t *data;
  int len, lines, vertical;
} plane;

static int step_of(plane p) { return p.vertical ? p.lines : 1; }
static int line_step_of(plane p) { return p.vertical ? 1 : p.len; }

/* vips_shrinkh/v (ceil mode): mean of each k samples, the last block padded with the edge one. */
static plane box_shrink(plane src, int k) {
  plane dst = {0, (src.len + k - 1) / k, src.lines, src.vertical};
  dst.data = take((uint32_t)(dst.len * dst.lines));
  int ss = step_of(src), sl = line_step_of(src), ds = step_of(dst), dl = line_step_of(dst);
  /* libvips' SIMD path: (sum + k/2) * floor(2^24 / k) >> 24, not always round-to-nearest. */
  uint64_t multiplier = (uint64_t)((1u << 24) / (uint32_t)k);
  uint32_t *sums = take(4u * (uint32_t)src.lines);
  /* Across lines innermost: contiguous memory when shrinking vertically, the costly direction. */
  for (int o = 0; o < dst.len; o++) {
    for (int line = 0; line < src.lines; line++) sums[line] = (uint32_t)(k >> 1);
    for (int j = 0; j < k; j++) {
      const uint8_t *from = src.data + imin(src.len - 1, o * k + j) * ss;
      for (int line = 0; line < src.lines; line++) sums[line] += from[line * sl];
    }
    for (int line = 0; line < src.lines; line++)
      dst.data[line * dl + o * ds] = (uint8_t)((sums[line] * multiplier) >> 24);
  }
  return dst;
}

/* vips_reduceh/v with the linear kernel, from `input.len` down to `out_len` samples per line. */
static plane reduce(plane input, int out_len) {
  /* sharp passes 1 / (in / out) to vips_resize, which passes 1 / that to reduce: keep the round
     trip, so that the factor rounds as there. */
  double factor = 1 / (1 / ((double)input.len / out_len));
  double extra = out_len * factor - input.len; /* > 0: samples invented past the edges */
  plane src = input;
  int k = imax(1, (int)__builtin_floor((double)input.len / out_len / 2));
  if (k > 1) {
    src = box_shrink(input, k);
    factor /= k;
    extra /= k;
  }
  if (factor == 1) return src;
  /* rint: halves to even, as C's rint (decides the tap count at factors like 2.5). */
  int taps = 2 * (int)__builtin_rint(factor) + 1;
  int half = taps >> 1;
  int32_t *index = take(4u * (uint32_t)(out_len * taps));
  int32_t *weight = take(4u * (uint32_t)(out_len * taps));
  double *c = take(8u * (uint32_t)taps);
  /* Input position of output sample 0 (centre convention: pixel i covers [i, i + 1)), in
     libvips' order of operations so that the weights round the same way. */
  double shift = (1 + extra) / 2 - 1;
  double pos = 0.5 * factor - 0.5 - shift;
  for (int o = 0; o < out_len; o++, pos += factor) {
    double first = __builtin_trunc(pos);
    double offset = pos - first + taps / 2.0 - 1;
    double sum = 0;
    for (int i = 0; i < taps; i++) {
      c[i] = dmax(0, 1 - __builtin_fabs((i - offset) / factor));
      sum += c[i];
    }
    for (int i = 0; i < taps; i++) {
      index[o * taps + i] = imin(src.len - 1, imax(0, (int)first - half + i));
      weight[o * taps + i] = (int32_t)((c[i] / sum) * ONE);
    }
  }
  plane dst = {0, out_len, src.lines, src.vertical};
  dst.data = take((uint32_t)(dst.len * dst.lines));
  int ss = step_of(src), sl = line_step_of(src), ds = step_of(dst), dl = line_step_of(dst);
  int32_t *acc = take(4u * (uint32_t)src.lines);
  for (int o = 0, t = 0; o < out_len; o++) {
    for (int line = 0; line < src.lines; line++) acc[line] = HALF;
    for (int i = 0; i < taps; i++, t++) {
      int32_t w = weight[t];
      const uint8_t *from = src.data + index[t] * ss;
      for (int line = 0; line < src.lines; line++) acc[line] += w * from[line * sl];
    }
    for (int line = 0; line < src.lines; line++)
      dst.data[line * dl + o * ds] = (uint8_t)imin(255, imax(0, acc[line] >> SHIFT));
  }
  return dst;
}

/* vips_affine with the bilinear interpolator, as vips_resize uses it to enlarge. */
static void bilinear(const uint8_t *src, int w, int h, uint8_t *out, int width, int height) {
  double x_step = 1 / (1 / ((double)w / width));
  double y_step = 1 / (1 / ((double)h / height));
  for (int yo = 0; yo < height; yo++) {
    double y = dmin(h - 1, dmax(0, yo * y_step - 0.5));
    int y0 = (int)__builtin_floor(y);
    const uint8_t *row0 = src + y0 * w;
    const uint8_t *row1 = src + imin(h - 1, y0 + 1) * w;
    int fy = (int)((y - y0) * ONE);
    for (int xo = 0; xo < width; xo++) {
      double x = dmin(w - 1, dmax(0, xo * x_step - 0.5));
      int x0 = (int)__builtin_floor(x);
      int x1 = imin(w - 1, x0 + 1);
      int fx = (int)((x - x0) * ONE);
      int c4 = (fy * fx) >> SHIFT;
      int c2 = ((ONE - fy) * fx) >> SHIFT;
      int c3 = fy - c4;
      int c1 = ONE - fy - c2;
      int v = c1 * row0[x0] + c2 * row0[x1] + c3 * row1[x0] + c4 * row1[x1];
      out[yo * width + xo] = (uint8_t)((v + HALF) >> SHIFT);
    }
  }
}

/*
 * `rgb`: the box's w x h RGB pixels, row after row. Writes width x height grey bytes to `out`;
 * `free_space` is where scratch memory starts (the caller makes it large enough: see resize.ts).
 */
__attribute__((export_name("crop_grey_resized"))) void crop_grey_resized(
    const uint8_t *rgb, int w, int h, uint8_t *out, int width, int height, uint8_t *free_space) {
  scratch = free_space;
  plane p = {grey(rgb, w, h), h, w, 1};
  if (height < h) p = reduce(p, height);
  int rows = p.len;
  p = (plane){p.data, w, rows, 0};
  if (width < w) p = reduce(p, width);
  int cols = p.len;
  if (width > cols || height > rows) {
    bilinear(p.data, cols, rows, out, width, height);
  } else {
    for (int i = 0, n = width * height; i < n; i++) out[i] = p.data[i];
  }
}
