"""FP32 2-D convolution: forward, input gradient, weight/bias gradient (im2col + matmul).

Shapes: x [N][H][W][Cin], w [Cout][Kh][Kw][Cin], b [Cout], y [N][Ho][Wo][Cout] with
Ho = (H + top + bottom - Kh) // sh + 1 (likewise Wo). Zero padding (top, bottom, left, right);
rows/columns of the padded input that no window reaches are ignored, as the firmware does.

    y[n, p, q, o] = b[o] + sum_{i, j, c} w[o, i, j, c] * xpad[n, p*sh + i, q*sw + j, c]

The im2col column order is (i, j, c), which is the memory order of one output channel's weights.
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import PairLike, QuadLike, check_nhwc, compute_dtype, pad_nhwc, tap_slice, window_geometry


def im2col(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """Columns [N*Ho*Wo][Kh*Kw*C] of an already padded NHWC input (a copy)."""
    n, _, _, c = xp.shape
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))  # N,H',W',C,kh,kw
    win = win[:, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw]
    return np.ascontiguousarray(win.transpose(0, 1, 2, 4, 5, 3)).reshape(n * ho * wo, kh * kw * c)


def col2im(cols: np.ndarray, padded_shape: tuple[int, int, int, int], kh: int, kw: int,
           sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """Scatter-add columns [N, Ho, Wo, Kh, Kw, C] back onto a zero padded NHWC tensor."""
    out = np.zeros(padded_shape, cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[tap_slice(i, j, sh, sw, ho, wo)] += cols[:, :, :, i, j, :]
    return out


def qlr_conv2d_f32_fw(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                      stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Forward: y = conv(x, w) + b. b may be None (no bias). Returns [N][Ho][Wo][Cout]."""
    check_nhwc(x)
    dt = compute_dtype(x, w, b)
    cout, kh, kw, cin = w.shape
    if x.shape[3] != cin:
        raise ValueError(f"x has {x.shape[3]} channels, w expects {cin}")
    kh, kw, sh, sw, pad, ho, wo = window_geometry(x.shape[1:3], (kh, kw), stride, padding)
    cols = im2col(pad_nhwc(x.astype(dt, copy=False), pad), kh, kw, sh, sw, ho, wo)
    y = cols @ w.astype(dt, copy=False).reshape(cout, -1).T
    if b is not None:
        y += b.astype(dt, copy=False)
    return y.reshape(x.shape[0], ho, wo, cout)


def qlr_conv2d_f32_bw_input(dy: np.ndarray, w: np.ndarray, input_hw: tuple[int, int],
                            stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Input gradient dx [N][H][W][Cin] from dy [N][Ho][Wo][Cout]; `input_hw` = (H, W) of x."""
    check_nhwc(dy, "dy")
    dt = compute_dtype(dy, w)
    cout, kh, kw, cin = w.shape
    h, wd = int(input_hw[0]), int(input_hw[1])
    kh, kw, sh, sw, (pt, pb, pl, pr), ho, wo = window_geometry((h, wd), (kh, kw), stride, padding)
    if dy.shape[1:] != (ho, wo, cout):
        raise ValueError(f"dy has shape {dy.shape[1:]}, expected {(ho, wo, cout)}")
    n = dy.shape[0]
    dcols = dy.astype(dt, copy=False).reshape(-1, cout) @ w.astype(dt, copy=False).reshape(cout, -1)
    dxp = col2im(dcols.reshape(n, ho, wo, kh, kw, cin), (n, h + pt + pb, wd + pl + pr, cin), kh, kw, sh, sw, ho, wo)
    return dxp[:, pt : pt + h, pl : pl + wd, :]


def qlr_conv2d_f32_bw_weight(x: np.ndarray, dy: np.ndarray, kernel: tuple[int, int],
                             stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias gradients (dw [Cout][Kh][Kw][Cin], db [Cout]), summed over the batch."""
    check_nhwc(x)
    check_nhwc(dy, "dy")
    dt = compute_dtype(x, dy)
    kh, kw, sh, sw, pad, ho, wo = window_geometry(x.shape[1:3], kernel, stride, padding)
    cout = dy.shape[3]
    if dy.shape[:3] != (x.shape[0], ho, wo):
        raise ValueError(f"dy has shape {dy.shape}, expected {(x.shape[0], ho, wo, cout)}")
    cols = im2col(pad_nhwc(x.astype(dt, copy=False), pad), kh, kw, sh, sw, ho, wo)
    dy2 = dy.astype(dt, copy=False).reshape(-1, cout)
    dw = (dy2.T @ cols).reshape(cout, kh, kw, x.shape[3])
    return dw, dy2.sum(axis=0)
