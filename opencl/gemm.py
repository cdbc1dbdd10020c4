"""Matrix products on the device: packed, register-blocked float32 GEMM; a strided kernel for other types.

Operands are described by element strides, so transposed inputs need no copy, and by one element offset per
batch matrix, so broadcast batch axes need none either. The packing and product launches are also available
separately, for convolutions that build their packed panels themselves.
"""
import numpy as np

from opencl.source import Launch, instantiate, suffix

MR, NR = 6, 16
# Reading operands in place beats packing them (two launches more) for products below about this many
# multiply-adds, and for one narrow column panel (n <= 16) at any size.
DIRECT_FLOPS = 1 << 19


def panels(rows, cols):
    """(row panels of A, column panels of B) for a rows x cols product."""
    return -(-rows // MR), -(-cols // NR)


def packed_a_bytes(m, k, batch=1):
    return batch * panels(m, 1)[0] * max(k, 1) * MR * 4


def packed_b_bytes(n, k, batch=1):
    return batch * panels(1, n)[1] * max(k, 1) * NR * 4


def pack_a(a, packed, m, k, strides, offsets):
    """Pack each A (m x k, element strides (row, k)) at `offsets` into row panels."""
    offsets = np.asarray(offsets, np.int32)
    a_panels = panels(m, 1)[0]
    return Launch(instantiate("gemm.cl"), "gemm_pack_a_f32",
                  [a, offsets, packed, np.int32(m), np.int32(k), np.int32(strides[0]), np.int32(strides[1]),
                   np.int32(a_panels)], (a_panels, len(offsets)))


def pack_b(b, packed, n, k, strides, offsets):
    """Pack each B (k x n, element strides (k, column)) at `offsets` into column panels."""
    offsets = np.asarray(offsets, np.int32)
    b_panels = panels(1, n)[1]
    return Launch(instantiate("gemm.cl"), "gemm_pack_b_f32",
                  [b, offsets, packed, np.int32(n), np.int32(k), np.int32(strides[0]), np.int32(strides[1]),
                   np.int32(b_panels)], (b_panels, len(offsets)))


def product(packed_a, packed_b, c, m, n, k, batch=1, c_offset=0, accumulate=False):
    """C[i] (dense m x n from element `c_offset`) = (or +=) packed A[i] @ packed B[i] for every batch i."""
    a_panels, b_panels = panels(m, n)
    return Launch(instantiate("gemm.cl"), "gemm_kernel_f32",
                  [packed_a, packed_b, c, np.int32(m), np.int32(n), np.int32(k), np.int32(a_panels),
                   np.int32(b_panels), np.int32(c_offset), np.int32(bool(accumulate))], (a_panels, b_panels, batch))


def matmul_launches(dtype, a, b, c, m, n, k, a_strides, b_strides, a_offsets, b_offsets, scratch):
    """Launches computing c[i] = a[i] @ b[i] for every batch i, with c dense [batch, m, n].

    a_strides: (row, k) element strides of each A; b_strides: (k, column) strides of each B;
    a_offsets, b_offsets: int32 arrays, the element offset of each batch's matrix (length = batch);
    scratch(nbytes): a temporary buffer alive for these launches only (packed panels).
    """
    batch = len(a_offsets)
    if m == 0 or n == 0 or batch == 0:
        return []
    a_offsets = np.asarray(a_offsets, np.int32)
    b_offsets = np.asarray(b_offsets, np.int32)
    if np.dtype(dtype) != np.float32:
        args = [a, a_offsets, b, b_offsets, c] + [np.int32(v) for v in (m, n, k) + tuple(a_strides) +
                                                  tuple(b_strides)]
        return [Launch(instantiate("gemm_generic.cl", dtype), "gemm_generic_" + suffix(dtype), args,
                       (-(-n // 8), m, batch))]
    if m * n * k <= DIRECT_FLOPS or n <= NR:
        a_panels, b_panels = panels(m, n)
        return [Launch(instantiate("gemm.cl"), "gemm_direct_f32",
                       [a, a_offsets, b, b_offsets, c] + [np.int32(v) for v in (m, n, k) + tuple(a_strides) +
                                                          tuple(b_strides)], (a_panels, b_panels, batch))]
    packed_a = scratch(packed_a_bytes(m, k, batch))
    packed_b = scratch(packed_b_bytes(n, k, batch))
    return [pack_a(a, packed_a, m, k, a_strides, a_offsets), pack_b(b, packed_b, n, k, b_strides, b_offsets),
            product(packed_a, packed_b, c, m, n, k, batch)]
