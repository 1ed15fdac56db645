"""A continual-learning session's configuration and set-up: what every backend starts from.

`CLConfig` holds the learning parameters (LR layer, N_LR, Q_LR, epochs, mini-batch, SGD). A
`SessionSetup` holds what a backend needs to start: the pretrained network split at the LR layer
(BatchNorm folded), the int8 front-end, the latent codec, and the `CLState` to start from (the
initial LR memory, the pretrained back-end weights, zero momentum and the RNG state), plus the
protocol's description. `build_setup` makes one.

Latent codes (`LatentCodec`): with Q_LR = Q in 1..8 the int8 front-end's u8 latent ``a8`` (scale
``S_a``, zero point 0) becomes the Q-bit code ``q = requantize_u8_latent(a8, Q, S_a)`` (integers
only, per tensor: ``q = (2*a8*(2^Q-1) + 255) // 510``) with the scale ``S_Q = float32(S_a * 255 /
(2^Q - 1))``; the back-end sees ``float32(q) * S_Q``. ``S_a`` is the float32 value the image
records as the latent's scale. Every latent the back-end sees takes this one path: new latents in
training, replayed ones, and test latents in evaluation. With Q_LR = None ("fp32", host only) the
front-end is the FP32 folded network and latents are stored as float32: the paper's FP32 column.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from tqdm import tqdm

from qlr.cl.policy import memory_update
from qlr.cl.rng import Rng, seed_state
from qlr.cl.state import CLState
from qlr.errors import QlrError
from qlr.image import ImageContent, LRMemory
from qlr.image.pack import build_content
from qlr.model import run_forward
from qlr.model.graph import LEARNABLE, Network
from qlr.quant.calibrate import DEFAULT_CALIBRATION, Calibration
from qlr.quant.latent import dequantize_latent, requantize_u8_latent
from qlr.quant.ptq import plan_points, quantize_front_end, to_input

# Back-end layer kinds the device trains (fw, bw-input, bw-weight kernels or trivial passes).
TRAINABLE_KINDS = ("dwconv2d", "pwconv", "linear", "relu", "relu6", "global_avgpool", "avgpool", "flatten")
LABEL_BYTES = 2  # LR labels are u16 on the device (image section LR_LABELS)
SCALE_BYTES = 4  # one float32 scale per tensor


@dataclass(frozen=True)
class CLConfig:
    """Learning parameters of a session (REFERENCE.md's values as defaults where they apply).

    q_lr None = FP32 latents (host only). lr is the back-end's SGD learning rate for every event.
    """

    lr_layer: int = 25
    n_lr: int = 1500
    q_lr: int | None = 8
    epochs: int = 4
    mb: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 0
    calibration: str = DEFAULT_CALIBRATION  # the int8 front-end's activation ranges (qlr.quant.calibrate)
    scheme: str = "per_channel"  # its weights: per_channel or per_layer
    equalize: bool = True  # equalize ReLU outputs' channel ranges first (qlr.quant.equalize)

    def __post_init__(self) -> None:
        if self.n_lr < 0:
            raise QlrError(f"--n-lr must be >= 0, got {self.n_lr}")
        if self.q_lr is not None and not 1 <= self.q_lr <= 8:
            raise QlrError(f"--q-lr must be 1..8 or fp32, got {self.q_lr}")
        if self.epochs < 1 or self.mb < 1:
            raise QlrError(f"--epochs and --mb must be >= 1, got {self.epochs}, {self.mb}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise QlrError(f"--lr must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1 or not self.weight_decay >= 0:
            raise QlrError("momentum must be in [0, 1) and weight decay >= 0")
        if not 0 <= self.seed <= 0xFFFFFFFF:
            raise QlrError(f"--seed must be a u32, got {self.seed}")
        object.__setattr__(self, "calibration", Calibration.parse(self.calibration).name)
        if self.scheme not in ("per_channel", "per_layer"):
            raise QlrError(f"--scheme must be per_channel or per_layer, got {self.scheme!r}")

    @property
    def q_name(self) -> str:
        return "fp32" if self.q_lr is None else str(self.q_lr)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **kw: Any) -> CLConfig:
        return replace(self, **kw)


def parse_q(text: str | int | None) -> int | None:
    """'fp32' -> None, '8' -> 8."""
    if text is None or (isinstance(text, str) and text.lower() in ("fp32", "f32", "float")):
        return None
    try:
        q = int(text)
    except ValueError:
        raise QlrError(f"Q_LR must be 1..8 or fp32, got {text!r}") from None
    if not 1 <= q <= 8:
        raise QlrError(f"Q_LR must be 1..8 or fp32, got {q}")
    return q


def lr_memory_bytes(n_lr: int, elements: int, q_lr: int | None, n_scales: int = 1) -> int:
    """Bytes of an LR memory: ``N_LR * ceil(E * Q / 8)`` codes + u16 labels + float32 scales
    (FP32 latents: ``N_LR * E * 4`` + labels, no scale)."""
    if q_lr is None:
        return n_lr * elements * 4 + n_lr * LABEL_BYTES
    return n_lr * (-(-elements * q_lr // 8)) + n_lr * LABEL_BYTES + n_scales * SCALE_BYTES


@dataclass(frozen=True)
class LatentCodec:
    """Q-bit codes of u8 latents (module docstring), or FP32 latents when ``bits`` is None."""

    bits: int | None
    in_scale: float = 1.0  # S_a: the u8 latent's scale (float32 value)

    @property
    def scale(self) -> np.ndarray:
        """S_Q as float32 [1] (1.0 for FP32 latents)."""
        if self.bits is None:
            return np.ones(1, np.float32)
        return requantize_u8_latent(np.zeros(1, np.uint8), self.bits, self.in_scale)[1]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32 if self.bits is None else np.uint8)

    def encode(self, latent: np.ndarray) -> np.ndarray:
        """u8 front-end latents -> Q-bit codes (uint8); FP32 latents pass through as float32."""
        if self.bits is None:
            a = np.asarray(latent)
            if a.dtype != np.float32:
                raise QlrError(f"FP32 latents must be float32, got {a.dtype}")
            return a
        return requantize_u8_latent(latent, self.bits, self.in_scale)[0]

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """What the back-end sees: ``float32(code) * S_Q`` (FP32 latents unchanged)."""
        if self.bits is None:
            return np.asarray(codes, dtype=np.float32)
        return dequantize_latent(codes, self.scale)


def param_keys(back: Network) -> list[str]:
    """``"<layer>.<param>"`` of every learnable back-end parameter, in layer order."""
    return [f"{lay.name}.{k}" for lay in back.layers for k in lay.params if k in LEARNABLE]


def check_back_end(back: Network, lr_layer: int) -> None:
    """Raise QlrError if the back-end has a layer kind the device cannot train."""
    bad = [f"{lay.name} ({lay.kind})" for lay in back.layers if lay.kind not in TRAINABLE_KINDS]
    if bad:
        raise QlrError(f"LR layer {lr_layer}: the back-end has layer(s) the device cannot train: "
                       f"{', '.join(bad)} (trainable kinds: {', '.join(TRAINABLE_KINDS)})")
    if not param_keys(back):
        raise QlrError(f"LR layer {lr_layer}: the back-end has no trainable parameters")


def lr_layers(net: Network) -> list[int]:
    """The LR layers a network can be split at with a trainable back-end (ascending)."""
    out = []
    for l in sorted({lay.index for lay in net.layers if lay.index is not None}):
        try:
            _, back = net.split(l)
            check_back_end(back, l)
        except QlrError:
            continue
        out.append(l)
    return out


@dataclass
class SessionSetup:
    """Everything a backend starts from (see the module docstring).

    network: the pretrained FP32 network (BatchNorm folded); front/back: its split at the LR layer;
    qfe: the int8 front-end (None in FP32 mode); codec: how latents become LR codes; state: the
    state to start from; start_event: the first stream event to run (> 0 when resuming);
    protocol: a JSON-able description of the data stream.
    """

    config: CLConfig
    network: Network
    front: Network
    back: Network
    qfe: Any  # qlr.quant.ptq.QuantizedFrontEnd | None
    codec: LatentCodec
    state: CLState
    start_event: int = 0
    protocol: dict[str, Any] = field(default_factory=dict)

    @property
    def latent_shape(self) -> tuple[int, ...]:
        return tuple(self.back.input_shape)

    @property
    def latent_elements(self) -> int:
        return int(np.prod(self.latent_shape))

    @property
    def lr_bytes(self) -> int:
        return lr_memory_bytes(self.config.n_lr, self.latent_elements, self.config.q_lr)

    def param_keys(self) -> list[str]:
        return param_keys(self.back)

    def resume(self, state: CLState) -> None:
        """Start from a saved state (after ``state.events`` events) instead of the initial one."""
        state.validate("resumed state")
        want = (self.config.n_lr,) + self.latent_shape
        if state.lr_codes.shape != want or state.lr_codes.dtype != self.codec.dtype:
            raise QlrError(f"resumed state: LR codes are {state.lr_codes.dtype} {state.lr_codes.shape}, "
                           f"this session needs {self.codec.dtype} {want}")
        keys = set(self.param_keys())
        if set(state.params) != keys:
            raise QlrError(f"resumed state: parameters {sorted(state.params)} are not the back-end's {sorted(keys)}")
        for k in keys:
            if state.params[k].shape != self.state.params[k].shape:
                raise QlrError(f"resumed state: parameter {k} has shape {state.params[k].shape}, "
                               f"the back-end needs {self.state.params[k].shape}")
        self.state = state.copy()
        self.start_event = state.events

    def lr_memory_info(self) -> dict[str, Any]:
        """The LR memory's geometry and size in bytes (codes + u16 labels + float32 scale)."""
        n, e, q = self.config.n_lr, self.latent_elements, self.config.q_lr
        codes = n * e * 4 if q is None else n * (-(-e * q // 8))
        scales = 0 if q is None else SCALE_BYTES
        return {"n_lr": n, "q_lr": self.config.q_name, "latent_shape": list(self.latent_shape), "elements": e,
                "bytes_per_latent": codes // n if n else 0, "codes_bytes": codes,
                "labels_bytes": n * LABEL_BYTES, "scale_bytes": scales, "bytes": self.lr_bytes}

    def param_positions(self) -> dict[str, int]:
        """Image layer-table position of every back-end parameter key (see `image_content`)."""
        if self.qfe is None:
            raise QlrError("FP32 mode has no image (the device runs an int8 front-end)")
        first = len(self.qfe.layers)
        pos = {}
        for j, p in enumerate(plan_points(self.back)):
            for k in p.layer.params:
                if k in LEARNABLE:
                    pos[f"{p.layer.name}.{k}"] = first + j
        return pos

    def back_with(self, params: dict[str, np.ndarray]) -> Network:
        """A copy of the back-end network holding these parameters."""
        net = self.back.copy()
        for lay in net.layers:
            for k in list(lay.params):
                key = f"{lay.name}.{k}"
                if key in params:
                    lay.params[k] = np.array(params[key], dtype=np.float32)
        return net

    def image_content(self, state: CLState | None = None, meta: dict[str, Any] | None = None) -> ImageContent:
        """An `ImageContent` with the int8 front-end, the back-end weights and the filled LR slots
        of ``state`` (default: the starting state). The LR section holds the ``filled`` slots in
        slot order; the device allocates N_LR slots (``meta["cl"]["n_lr"]``)."""
        if self.qfe is None:
            raise QlrError("FP32 mode (--q-lr fp32) runs on the host only: it has no device image")
        st = self.state if state is None else state
        lr = None
        if st.filled:
            if self.config.q_lr is None:
                raise QlrError("FP32 mode has no image (the device runs an int8 front-end)")
            lr = LRMemory(st.lr_codes[: st.filled].copy(), st.lr_labels[: st.filled].astype(np.uint16),
                          int(self.config.q_lr), self.codec.scale.copy(), np.array([255], np.uint8))
        m = {"cl": {**self.config.to_dict(), "filled": st.filled, "updates": st.updates, "events": st.events,
                    "rng": [int(w) for w in st.rng]}}
        m.update(meta or {})
        return build_content(self.qfe, self.back_with(st.params), lr, None, m)


def initial_state(back: Network, config: CLConfig, codec: LatentCodec) -> CLState:
    """Pretrained back-end weights, zero momentum, an empty LR memory, the RNG seeded from the config."""
    params = {}
    for lay in back.layers:
        for k, v in lay.params.items():
            if k in LEARNABLE:
                params[f"{lay.name}.{k}"] = np.array(v, dtype=np.float32)
    momentum = {k: np.zeros_like(v) for k, v in params.items()}
    shape = (config.n_lr,) + tuple(back.input_shape)
    return CLState(params, momentum, np.zeros(shape, codec.dtype), np.zeros(config.n_lr, np.int64),
                   codec.scale.copy(), 0, 0, 0, seed_state(config.seed))


def fill_memory(state: CLState, codes: np.ndarray, labels: np.ndarray) -> None:
    """Apply one memory update with these latents, without training (the initial fill from the
    pretraining data): consumes the state's RNG exactly as an event's memory update does."""
    rng = Rng(state=state.rng)
    upd = memory_update(rng, state.n_lr, state.filled, state.updates, len(codes))
    state.lr_codes[upd.slots] = codes[upd.new_index]
    state.lr_labels[upd.slots] = labels[upd.new_index]
    state.filled = upd.filled_after
    state.updates += 1
    state.rng = rng.state


CALIBRATION_IMAGES = 1000


def calibration_sample(images: np.ndarray, n: int = CALIBRATION_IMAGES) -> np.ndarray:
    """``n`` images spread evenly over ``images`` (all of them when fewer): the initial batch is in
    file order, often by session or class, and its first images would calibrate on one part of it
    (measured on the IMU session stream: int8 agreement 79 % with the first 1000, 86 % spread)."""
    if len(images) <= n:
        return images
    return images[np.linspace(0, len(images) - 1, n).round().astype(np.int64)]


def build_setup(network: Network, config: CLConfig, calib_images: np.ndarray | None,
                initial_images: np.ndarray | None = None, initial_labels: np.ndarray | None = None,
                protocol: dict[str, Any] | None = None, initial_latents: np.ndarray | None = None,
                qfe: Any = None, progress: bool = False) -> SessionSetup:
    """Split, quantize (int8 front-end calibrated on ``calib_images``) and fill the LR memory from
    the initial (pretraining) data: update 0 of the replacement policy, on the run's RNG stream.

    ``initial_latents`` (u8, or float32 in FP32 mode) skips recomputing the initial latents;
    ``qfe`` (a front-end quantized for this LR layer) skips the quantization. ``progress`` shows
    bars for the calibration and the initial latents (minutes on a large network).
    """
    net = network.fold_batchnorm() if any(l.kind == "batchnorm" for l in network.layers) else network
    try:
        front, back = net.split(config.lr_layer)
    except QlrError as e:
        raise QlrError(f"--lr-layer {config.lr_layer}: {e}") from None
    check_back_end(back, config.lr_layer)
    if config.q_lr is None:
        qfe, codec = None, LatentCodec(None)
    else:
        if qfe is None:
            if calib_images is None:
                raise QlrError("the int8 front-end needs calibration images")
            qfe = quantize_front_end(front, calib_images, config.scheme, progress=progress,
                                     calibration=Calibration.parse(config.calibration), equalize=config.equalize)
        if qfe.output.out_zp != 0:
            raise QlrError(f"LR layer {config.lr_layer}: the latent has zero point {qfe.output.out_zp}; "
                           f"LR codes need an unsigned latent with zero point 0 (after a ReLU)")
        codec = LatentCodec(config.q_lr, float(np.float32(qfe.output.out_scale)))
    state = initial_state(back, config, codec)
    setup = SessionSetup(config, net, front, back, qfe, codec, state, 0, dict(protocol or {}))
    if initial_images is not None or initial_latents is not None:
        if initial_labels is None:
            raise QlrError("initial data given without labels")
        if initial_latents is not None:
            lat = initial_latents
        else:
            assert initial_images is not None  # the enclosing test: one of the two is given
            lat = front_latents(setup, initial_images, progress=progress)
        fill_memory(state, codec.encode(lat), np.asarray(initial_labels, dtype=np.int64))
    return setup


def front_latents(setup: SessionSetup, images: np.ndarray, batch: int = 500, progress: bool = False) -> np.ndarray:
    """The front-end's latents of uint8 images: u8 from the int8 front-end, or float32 in FP32 mode."""
    x = np.asarray(images)
    if x.dtype != np.uint8 or x.shape[1:] != tuple(setup.front.input_shape):
        raise QlrError(f"images must be uint8 (N,) + {tuple(setup.front.input_shape)}, got {x.dtype} {x.shape}")
    out = []
    if int(np.prod(x.shape[1:])) > 32 * 32 * 3:
        batch = min(batch, 64)  # large images: smaller batches, less memory, a progress bar that moves
    for s in tqdm(range(0, len(x), batch), desc="latents", unit="batch", disable=not progress or len(x) <= batch):
        xb = x[s : s + batch]
        if setup.qfe is None:
            out.append(run_forward(setup.front, to_input(xb)).astype(np.float32))
        else:
            out.append(setup.qfe.run(xb))
    if not out:
        dt = np.float32 if setup.qfe is None else np.uint8
        return np.zeros((0,) + setup.latent_shape, dt)
    return np.concatenate(out).reshape((len(x),) + setup.latent_shape)
