// Convolution support (NHWC input, HWIO filter): im2col rows are output pixels, columns are window taps
// (kh, kw, c) in the filter's own order, so the filter is already the right-hand matrix. A geometry is
// (height, width, channels, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, top, left,
// out_h, out_w), packed in one int buffer; `first_pixel` selects the batch slice a launch works on.

#define GEOMETRY \
  const int height = g[0], width = g[1], channels = g[2], kernel_h = g[3], kernel_w = g[4]; \
  const int stride_h = g[5], stride_w = g[6], dilation_h = g[7], dilation_w = g[8], top = g[9], left = g[10]; \
  const int out_h = g[11], out_w = g[12];

// One im2col row (output pixel) into `dst`, element j at dst[j * step].
inline void im2col_row_$S(__global const $T* x, __global const int* g, const int pixel, __global $T* dst,
                       const int step) {
  GEOMETRY
  const int n = pixel / (out_h * out_w);
  const int oh = (pixel / out_w) % out_h;
  const int ow = pixel % out_w;
  int j = 0;
  for (int kh = 0; kh < kernel_h; kh++) {
    const int ih = oh * stride_h + kh * dilation_h - top;
    for (int kw = 0; kw < kernel_w; kw++) {
      const int iw = ow * stride_w + kw * dilation_w - left;
      const bool inside = ih >= 0 && ih < height && iw >= 0 && iw < width;
      __global const $T* src = x + (((long)n * height + ih) * width + iw) * channels;
      for (int c = 0; c < channels; c++, j++) dst[(long)j * step] = inside ? src[c] : 0;
    }
  }
}

// The im2col rows of pixels first_pixel.. as GEMM row panels of 6 (gemm.cl's packed A), zero past `rows`.
__kernel void im2col_packed_$S(__global const $T* restrict x, __global const int* restrict g,
                               __global $T* restrict packed, const int first_pixel, const int rows,
                               const int depth) {
  const int panel = get_global_id(0);
  const int r = get_global_id(1);
  __global $T* dst = packed + (long)panel * depth * 6 + r;
  const int row = panel * 6 + r;
  if (row < rows) {
    im2col_row_$S(x, g, first_pixel + row, dst, 6);
  } else {
    for (int j = 0; j < depth; j++) dst[(long)j * 6] = 0;
  }
}

// The im2col matrix [rows, depth] of pixels first_pixel.., one row per work-item.
__kernel void im2col_$S(__global const $T* restrict x, __global const int* restrict g, __global $T* restrict cols,
                        const int first_pixel, const int depth) {
  const int row = get_global_id(0);
  im2col_row_$S(x, g, first_pixel + row, cols + (long)row * depth, 1);
}

// dx (images first_image.., `count` elements) = the sum of the im2col-shaped gradient `dcols` over every window
// tap that reads each input element: a gather, so no two work-items write one element.
__kernel void col2im_$S(__global const $T* restrict dcols, __global const int* restrict g, __global $T* restrict dx,
                        const int first_image, const int count, const int chunk) {
  GEOMETRY
  const int depth = kernel_h * kernel_w * channels;
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, count);
  for (int e = start; e < end; e++) {
    const int c = e % channels;
    const int iw = (e / channels) % width;
    const int ih = (e / (channels * width)) % height;
    const int n = e / (channels * width * height);
    $T total = 0;
    for (int kh = 0; kh < kernel_h; kh++) {
      const int oh_scaled = ih + top - kh * dilation_h;
      if (oh_scaled < 0 || oh_scaled % stride_h) continue;
      const int oh = oh_scaled / stride_h;
      if (oh >= out_h) continue;
      for (int kw = 0; kw < kernel_w; kw++) {
        const int ow_scaled = iw + left - kw * dilation_w;
        if (ow_scaled < 0 || ow_scaled % stride_w) continue;
        const int ow = ow_scaled / stride_w;
        if (ow >= out_w) continue;
        total += dcols[(((long)n * out_h + oh) * out_w + ow) * depth + (kh * kernel_w + kw) * channels + c];
      }
    }
    dx[(long)first_image * height * width * channels + e] = total;
  }
}
