"""Where qlr keeps what it builds or computes once per machine: ``$QLR_CACHE`` or ``~/.cache/qlr``.

Pretrained networks (``cl-pretrained-*.npz``) and GVSoC builds (``gvsoc/<key>/``, written by
``tools/setup --gvsoc SRC``; ``gvsoc/current`` points at the newest) live here.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> str:
    """``$QLR_CACHE`` or ``~/.cache/qlr`` (not created here)."""
    return os.environ.get("QLR_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "qlr")


def cached_gvsoc() -> Path:
    """The launcher of the newest GVSoC build of `tools/setup --gvsoc` (it may not exist)."""
    return Path(cache_dir()) / "gvsoc" / "current" / "gvsoc"
