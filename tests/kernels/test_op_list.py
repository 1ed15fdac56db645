"""The firmware's ops are the host's specs, on every board: KERNEL_LIST (the names the firmware
was generated with: op, parameters in call order, tensors in call order) equals the op specs of
qlr.kernels, op for op, and INFO's firmware version is this host package's version."""

from __future__ import annotations

import qlr
from qlr.kernels.registry import all_ops


def test_the_device_lists_exactly_the_host_specs(kernels):
    device = {op["name"]: op for op in kernels.list_ops()}
    host = all_ops()
    assert sorted(device) == sorted(host), (f"only on the device: {sorted(set(device) - set(host))}; "
                                            f"only on the host: {sorted(set(host) - set(device))}")
    for name, spec in host.items():
        got = device[name]
        assert got["params"] == [p.name for p in spec.params], f"{name}: parameters"
        assert got["nparam"] == len(spec.params), f"{name}: parameter count"
        assert got["tensors"] == [t.name for t in spec.tensors], f"{name}: tensors"


def test_the_firmware_is_this_host_packages_version(kernels):
    assert kernels.info["firmware"] == qlr.__version__
