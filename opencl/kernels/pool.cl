// Pooling over NHWC windows (geometry as in conv.cl: padding is never read). $ISNAN is a C expression of v,
// isnan(v) for floating types and 0 for integers: max pooling propagates NaN and, like the numpy kernels, the
// gradient goes to the first maximum of each window in row-major order; $LOWEST is the type's lowest value.

#define POOL_GEOMETRY \
  const int height = g[0], width = g[1], channels = g[2], kernel_h = g[3], kernel_w = g[4]; \
  const int stride_h = g[5], stride_w = g[6], top = g[9], left = g[10], out_h = g[11], out_w = g[12];
#define ${S}_isnan(v) ($ISNAN)

// Position (kh * kernel_w + kw) of the first maximum of window (n, oh, ow) in channel c; padding counts as
// the lowest value, as when the numpy kernel pads with it.
inline int window_argmax_$S(__global const $T* x, __global const int* g, const int n, const int oh, const int ow,
                            const int c, $T* best_value) {
  POOL_GEOMETRY
  $T best = $LOWEST;
  int at = 0;
  for (int kh = 0; kh < kernel_h; kh++) {
    for (int kw = 0; kw < kernel_w; kw++) {
      const int ih = oh * stride_h + kh - top, iw = ow * stride_w + kw - left;
      const $T v = (ih >= 0 && ih < height && iw >= 0 && iw < width)
                   ? x[(((long)n * height + ih) * width + iw) * channels + c] : $LOWEST;
      if ((${S}_isnan(v) || v > best) && !${S}_isnan(best)) {
        best = v;
        at = kh * kernel_w + kw;
      }
    }
  }
  *best_value = best;
  return at;
}

// mode 0: max; 1: average over the window's positions inside the input.
__kernel void pool_$S(__global const $T* restrict x, __global const int* restrict g, __global $T* restrict out,
                      const int count, const int chunk, const int mode) {
  POOL_GEOMETRY
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, count);
  for (int e = start; e < end; e++) {
    const int c = e % channels;
    const int ow = (e / channels) % out_w;
    const int oh = (e / (channels * out_w)) % out_h;
    const int n = e / (channels * out_w * out_h);
    if (mode == 0) {
      $T best;
      window_argmax_$S(x, g, n, oh, ow, c, &best);
      out[e] = best;
      continue;
    }
    $T total = 0;
    int valid = 0;
    for (int kh = 0; kh < kernel_h; kh++) {
      const int ih = oh * stride_h + kh - top;
      if (ih < 0 || ih >= height) continue;
      for (int kw = 0; kw < kernel_w; kw++) {
        const int iw = ow * stride_w + kw - left;
        if (iw < 0 || iw >= width) continue;
        total += x[(((long)n * height + ih) * width + iw) * channels + c];
        valid++;
      }
    }
    out[e] = total / valid;
  }
}

// The gradient of pooling, gathered per input element over the windows that contain it. mode 0: max (dy goes
// to each window's first maximum, found again from x); 1: average (dy shared by the window's valid positions).
__kernel void pool_grad_$S(__global const $T* restrict x, __global const $T* restrict dy,
                           __global const int* restrict g, __global $T* restrict dx, const int count, const int chunk,
                           const int mode) {
  POOL_GEOMETRY
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, count);
  for (int e = start; e < end; e++) {
    const int c = e % channels;
    const int iw = (e / channels) % width;
    const int ih = (e / (channels * width)) % height;
    const int n = e / (channels * width * height);
    const int oh_first = max(0, (ih + top - kernel_h + stride_h) / stride_h);
    const int oh_last = min(out_h - 1, (ih + top) / stride_h);
    const int ow_first = max(0, (iw + left - kernel_w + stride_w) / stride_w);
    const int ow_last = min(out_w - 1, (iw + left) / stride_w);
    $T total = 0;
    for (int oh = oh_first; oh <= oh_last; oh++) {
      const int kh = ih + top - oh * stride_h;
      if (kh < 0 || kh >= kernel_h) continue;
      for (int ow = ow_first; ow <= ow_last; ow++) {
        const int kw = iw + left - ow * stride_w;
        if (kw < 0 || kw >= kernel_w) continue;
        const $T grad = dy[(((long)n * out_h + oh) * out_w + ow) * channels + c];
        if (mode == 0) {
          $T best;
          if (window_argmax_$S(x, g, n, oh, ow, c, &best) == kh * kernel_w + kw) total += grad;
        } else {
          const int rows = min(oh * stride_h - top + kernel_h, height) - max(oh * stride_h - top, 0);
          const int cols = min(ow * stride_w - left + kernel_w, width) - max(ow * stride_w - left, 0);
          total += grad / (rows * cols);
        }
      }
    }
    dx[e] = total;
  }
}

// The gradient of the max pooling gradient: each window's first maximum in x picks its value of grad (an input
// gradient, shaped like x); out is shaped like the pooled output.
__kernel void max_pool_grad_grad_$S(__global const $T* restrict x, __global const $T* restrict grad,
                                    __global const int* restrict g, __global $T* restrict out, const int count,
                                    const int chunk) {
  POOL_GEOMETRY
  const int start = get_global_id(0) * chunk;
  const int end = min(start + chunk, count);
  for (int e = start; e < end; e++) {
    const int c = e % channels;
    const int ow = (e / channels) % out_w;
    const int oh = (e / (channels * out_w)) % out_h;
    const int n = e / (channels * out_w * out_h);
    $T best;
    const int at = window_argmax_$S(x, g, n, oh, ow, c, &best);
    const int ih = oh * stride_h + at / kernel_w - top, iw = ow * stride_w + at % kernel_w - left;
    out[e] = (ih >= 0 && ih < height && iw >= 0 && iw < width)
             ? grad[(((long)n * height + ih) * width + iw) * channels + c] : 0;
  }
}
