"""A synthetic IMU-like data set with sessions, generated from a seed: the second kind of data
(after Fashion-MNIST's images) that calibration and session streams are measured on.

Each sample is a window of ``H * W`` time steps (25 Hz) of a 6-axis inertial sensor --
accelerometer x, y, z (g) and gyroscope x, y, z (rad/s) -- laid out row-major as an
``H x W x 6`` uint8 "image" (time step ``t`` at row ``t // W``, column ``t % W``).

- Classes (activities): each has a gravity direction in the body frame, a movement frequency,
  acceleration and rotation amplitudes and a harmonic content (`ACTIVITIES`).
- Sessions (users or recording sessions): each has its own sensor mounting (a rotation of up to
  `MOUNT_DEGREES` about a random axis), per-axis gains (+-10 %) and biases, a cadence factor
  (0.85-1.15), an intensity factor (0.8-1.25) and a noise level, so that a model pretrained on some
  sessions has something to adapt to on new ones.
- Heavy tails: a fraction `SPIKE_RATE` of windows carry a short impact (a spike of 3-7 g on the
  accelerometer and 4-8 rad/s on the gyroscope over 1-2 samples), as real IMU recordings do. Max
  calibration of activations is dominated by such outliers; this is what `qlr.quant` measures.
- Encoding: accelerometer +-8 g and gyroscope +-10 rad/s map linearly to 0..255 (128 = zero),
  clipped, rounded half up -- an 8-bit sensor read-out.

`imu_dataset(seed=0)` is deterministic: the same arguments give the same bytes on any machine
(NumPy's PCG64 generator, float64 arithmetic).
"""

from __future__ import annotations

import math

import numpy as np

from qlr.data.dataset import Dataset
from qlr.errors import QlrError

RATE_HZ = 25.0
ACC_RANGE = 4.0  # g
GYRO_RANGE = 8.0  # rad/s
MOUNT_DEGREES = 15.0
SPIKE_RATE = 0.03

# name: (gravity direction (x, y, z), frequency Hz, accel amplitude g, gyro amplitude rad/s, 2nd harmonic share)
ACTIVITIES: dict[str, tuple[tuple[float, float, float], float, float, float, float]] = {
    "sitting": ((0.0, 0.71, 0.71), 0.3, 0.03, 0.05, 0.0),
    "standing": ((0.0, 0.0, 1.0), 0.4, 0.05, 0.1, 0.0),
    "walking": ((0.0, 0.0, 1.0), 1.8, 0.4, 1.0, 0.3),
    "running": ((0.2, 0.0, 0.98), 2.8, 1.2, 2.5, 0.5),
    "stairs": ((0.5, 0.0, 0.87), 1.4, 0.5, 1.2, 0.6),
    "cycling": ((0.71, 0.0, 0.71), 1.1, 0.2, 2.0, 0.1),
}


def _rotation(rng: np.random.Generator, degrees: float) -> np.ndarray:
    axis = rng.standard_normal(3)
    axis /= np.linalg.norm(axis)
    a = math.radians(rng.uniform(-degrees, degrees))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * k + (1 - math.cos(a)) * (k @ k)


def _encode(v: np.ndarray, full_scale: float) -> np.ndarray:
    return np.clip(np.floor(v / full_scale * 127.5 + 128.0 + 0.5), 0, 255).astype(np.uint8)


def imu_dataset(sessions: int = 16, per_class: int = 60, size: tuple[int, int] = (8, 8), seed: int = 0,
                classes: int = len(ACTIVITIES)) -> Dataset:
    """``sessions * classes * per_class`` windows of ``size[0] * size[1]`` steps, 6 channels.

    Samples are in file order by session, then class; labels are activity indices (`ACTIVITIES`
    order), sessions 0..sessions-1.
    """
    if sessions < 1 or per_class < 1 or not 1 <= classes <= len(ACTIVITIES):
        raise QlrError(f"imu data: sessions and per-class must be >= 1 and classes 1..{len(ACTIVITIES)}")
    h, w = size
    if h < 1 or w < 1:
        raise QlrError(f"imu data: size must be positive, got {size}")
    rng = np.random.default_rng(seed)
    steps = h * w
    t = np.arange(steps) / RATE_HZ
    names = list(ACTIVITIES)[:classes]
    xs, ys, ss = [], [], []
    for s in range(sessions):
        mount = _rotation(rng, MOUNT_DEGREES)
        gain = rng.uniform(0.95, 1.05, 6)
        bias = np.concatenate([rng.normal(0, 0.05, 3), rng.normal(0, 0.08, 3)])
        cadence, intensity = rng.uniform(0.9, 1.1), rng.uniform(0.85, 1.15)
        noise = rng.uniform(0.02, 0.06)
        for c, name in enumerate(names):
            grav, freq, a_acc, a_gyr, harm = ACTIVITIES[name]
            g = np.array(grav) / np.linalg.norm(grav)
            n = per_class
            f = freq * cadence * rng.uniform(0.93, 1.07, (n, 1))
            phase = rng.uniform(0, 2 * math.pi, (n, 3))
            axis_w = rng.uniform(0.5, 1.0, (n, 3))  # how much of the movement shows on each axis
            wave = np.sin(2 * math.pi * f[:, None, :] * t[None, None, :] + phase[:, :, None])  # [n, 3, T]
            wave2 = np.sin(4 * math.pi * f[:, None, :] * t[None, None, :] + 2 * phase[:, :, None])
            move = (1 - harm) * wave + harm * wave2
            acc = g[None, :, None] + a_acc * intensity * axis_w[:, :, None] * move
            gyr = a_gyr * intensity * axis_w[:, ::-1, None] * np.cos(2 * math.pi * f[:, None, :] * t[None, None, :]
                                                                    + phase[:, ::-1, None])
            sig = np.concatenate([np.einsum("ij,njt->nit", mount, acc), np.einsum("ij,njt->nit", mount, gyr)], axis=1)
            sig = sig * gain[None, :, None] + bias[None, :, None]
            sig += rng.normal(0, 1, sig.shape) * noise * np.array([1, 1, 1, 3, 3, 3])[None, :, None]
            hit = np.flatnonzero(rng.random(n) < SPIKE_RATE)
            for i in hit:
                at = int(rng.integers(0, steps - 1))
                length = int(rng.integers(1, 3))
                sig[i, :3, at : at + length] += rng.choice([-1, 1], 3)[:, None] * rng.uniform(2, 3.8)
                sig[i, 3:, at : at + length] += rng.choice([-1, 1], 3)[:, None] * rng.uniform(3, 7.5)
            codes = np.concatenate([_encode(sig[:, :3], ACC_RANGE), _encode(sig[:, 3:], GYRO_RANGE)], axis=1)
            xs.append(codes.transpose(0, 2, 1).reshape(n, h, w, 6))
            ys.append(np.full(n, c, np.int64))
            ss.append(np.full(n, s, np.int64))
    return Dataset(np.concatenate(xs), np.concatenate(ys), np.concatenate(ss), names)
