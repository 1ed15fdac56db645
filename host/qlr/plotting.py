"""matplotlib, loaded only when a plot is asked for (Agg backend: files only, no display).

matplotlib takes about a second to import; every plot function calls `pyplot()` so that no
command pays for it unless it draws, and a machine without it gets one clear error."""

from __future__ import annotations

from types import ModuleType

from qlr.errors import QlrError

MISSING = ("plots need matplotlib, which is not installed: pip install 'matplotlib>=3.6' "
           "(a dependency of the host package; tools/setup installs it)")


def pyplot() -> ModuleType:
    """`matplotlib.pyplot` on the Agg backend; QlrError when matplotlib is missing."""
    try:
        # Lazy on purpose: heavy optional-at-run-time dependency (see module docstring).
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise QlrError(MISSING) from None
    return plt
