"""qlr: host tools for on-device continual learning with quantized latent replays."""

from pathlib import Path

__version__ = "0.1.0"

# The repository root (host/qlr/__init__.py -> ../..), where boards/, firmware/ and build/ live.
REPO_ROOT = Path(__file__).resolve().parents[2]
