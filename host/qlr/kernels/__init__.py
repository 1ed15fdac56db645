"""Kernel ops: host-side specs, the golden/device runner, `qlr kernel` and `qlr bench`."""
