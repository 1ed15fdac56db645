"""Boards through labgrid (the Python board-farm library): `qlr run --labgrid ENV.yaml`, `qlr learn
--labgrid ENV.yaml` and `board_session(..., labgrid=ENV)` start the firmware with the drivers of a
labgrid environment instead of `qlr.boards.runner`'s own. docs/distributed.md, "Boards in a farm".

The environment's target `main` (or the only one) is driven in one of two ways:

* an emulator (a `QEMUDriver`, e.g. boards/labgrid/qemu-rv32.yaml): the driver starts QEMU with the
  ELF as its kernel (the image named by the driver's `kernel`, set to the ELF here); its console
  protocol is the board's UART, which carries the link. The firmware's own console (semihosting)
  goes to a file in the run's folder through a QEMU chardev added to the driver's `extra_args`, and
  the exit status is QEMU's (the firmware ends it through semihosting).
* a real board (a `BootstrapProtocol` such as `OpenOCDDriver`, plus a console such as
  `SerialDriver`, e.g. boards/labgrid/nucleo-l476rg.yaml): the driver flashes the ELF, the console
  carries both the firmware's console lines and the link, and the firmware's `qlr-exit: N` line
  is its exit status.

labgrid is an optional dependency (`pip install 'qlr[labgrid]'`), imported only here, only when an
environment is given. Its pip install replaces pyserial with its fork `pyserial-labgrid` (the same
`serial` module): install it in a virtual environment where other tools need upstream pyserial.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from qlr.boards.registry import Board
from qlr.boards.runner import Device, LineSink, RunResult
from qlr.errors import QlrError
from qlr.link.errors import LinkClosed
from qlr.link.transport import Transport

INSTALL_HINT = "pip install 'qlr[labgrid]' (labgrid; see docs/distributed.md)"


def _labgrid() -> Any:
    try:
        import labgrid  # type: ignore[import-not-found,unused-ignore]  # optional: only when an environment is given
    except ImportError:
        raise QlrError(f"--labgrid needs labgrid: {INSTALL_HINT}") from None
    mod: Any = labgrid
    return mod


class ConsoleTransport(Transport):
    """A link over a labgrid console protocol (`read(size, timeout)`, `write(data)`)."""

    def __init__(self, console: Any, name: str) -> None:
        self._console = console
        self.url = f"labgrid:{name}"

    def write(self, data: bytes) -> None:
        try:
            self._console.write(data)
        except OSError as e:
            raise LinkClosed(f"link {self.url}: write failed: {e}") from None

    def read(self, timeout: float) -> bytes:
        try:
            data: bytes = self._console.read(size=1, timeout=max(timeout, 0.001), max_size=65536)
        except OSError as e:
            raise LinkClosed(f"link {self.url}: {e}") from None
        except Exception as e:  # labgrid signals "nothing arrived" with pexpect's TIMEOUT
            if type(e).__name__ == "TIMEOUT":
                return b""
            raise
        return data

    def close(self) -> None:
        pass  # the console belongs to the target; LabgridDevice.close deactivates it


class LabgridDevice(Device):
    """A firmware started through a labgrid environment (see the module docstring)."""

    def __init__(self, board: Board, elf: Path, env_path: str | Path, on_line: LineSink | None) -> None:
        lg = _labgrid()
        workdir = Path(tempfile.mkdtemp(prefix="qlr-run-"))
        super().__init__(board, elf, [f"labgrid:{env_path}"], None, on_line, workdir, spawn=False)
        try:
            self.env = lg.Environment(str(env_path))
        except Exception as e:
            raise QlrError(f"--labgrid {env_path}: {e}") from None
        names = list(self.env.config.get_targets())
        name = "main" if "main" in names else (names[0] if len(names) == 1 else None)
        if name is None:
            raise QlrError(f"--labgrid {env_path}: name the target 'main' (targets: {', '.join(names) or 'none'})")
        self.target = self.env.get_target(name)
        self.qemu: Any = None
        self.console: Any = None
        self._stop = threading.Event()
        try:
            self._start(str(env_path))
        except QlrError:
            self.close()
            raise
        except Exception as e:  # labgrid's own errors: binding, configuration, the tool failing
            self.close()
            raise QlrError(f"--labgrid {env_path}: {type(e).__name__}: {e}") from None

    def _start(self, env_path: str) -> None:
        t = self.target
        has_qemu = any(type(d).__name__ == "QEMUDriver" for d in t.drivers)
        if has_qemu:
            q = t.get_driver("QEMUDriver", activate=False)
            if not q.kernel:
                raise QlrError(f"--labgrid {env_path}: the QEMUDriver needs `kernel: <image name>` (set to the ELF)")
            self.env.config.data.setdefault("images", {})[q.kernel] = str(self.elf.resolve())
            console_file = self._workdir / "console.txt"  # type: ignore[operator]
            console_file.write_bytes(b"")
            # the firmware's semihosting console into a file of the run's folder (not QEMU's
            # stdout: labgrid reads QMP there)
            q.extra_args = (f"{q.extra_args} -chardev file,id=qlrconsole,path={console_file} "
                            "-semihosting-config enable=on,target=native,chardev=qlrconsole")
            t.activate(q)
            self.qemu = q
            self.console = q
            q.on()
            self._reader = threading.Thread(target=self._follow_file, args=(console_file,), daemon=True)
            self._reader.start()
        else:
            self.console = t.get_driver("ConsoleProtocol")
            loader = t.get_driver("BootstrapProtocol")
            loader.load(str(self.elf.resolve()))

    def _follow_file(self, path: Path) -> None:
        buf = b""
        with open(path, "rb") as f:
            while True:
                chunk = f.read(65536)
                if chunk:
                    buf += chunk
                    while b"\n" in buf:
                        raw, buf = buf.split(b"\n", 1)
                        self._add_line(raw)
                elif self._stop.is_set():
                    break
                else:
                    time.sleep(0.02)
        if buf:
            self._add_line(buf)

    def link_transport(self) -> ConsoleTransport:
        return ConsoleTransport(self.console, str(self.target.name))

    def read_console(self) -> None:
        """A real board without the link: its console lines, up to `qlr-exit: N`, in a thread."""
        self._reader = threading.Thread(target=self._read_console_protocol, daemon=True)
        self._reader.start()

    def _read_console_protocol(self) -> None:
        tr = self.link_transport()
        buf = b""
        while not self._exited.is_set() and not self._stop.is_set():
            try:
                buf += tr.read(0.2)
            except LinkClosed:
                break
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self._add_line(raw)

    def _qemu_process(self) -> Any:
        # labgrid's QEMUDriver exposes no exit status; the firmware ends QEMU itself (semihosting
        # exit), so the status is the process's
        return getattr(self.qemu, "_child", None)

    def wait(self, timeout: float) -> RunResult:
        status: int | None = None
        timed_out = False
        proc = self._qemu_process()
        if proc is not None:
            try:
                status = proc.wait(timeout=timeout)
            except Exception:
                timed_out = True
        else:
            timed_out = not self._exited.wait(timeout)
        self._stop.set()
        if self._reader:
            self._reader.join(timeout=5)
        return self._result(status, timed_out)

    def kill(self) -> None:
        proc = self._qemu_process()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        self._stop.set()
        if self.qemu is not None:
            proc = self._qemu_process()
            if proc is not None and proc.poll() is None:
                try:
                    self.qemu.off()
                except Exception:
                    self.kill()
            self.qemu.status = 0  # the process has ended: nothing for labgrid to switch off
            self.qemu._child = None
        try:
            self.target.deactivate_all_drivers()
        except Exception:
            pass
        super().close()


def start_labgrid(board: Board, elf: str | Path, env_path: str | Path, *, link: bool = False,
                  on_line: LineSink | None = None) -> LabgridDevice:
    """Starts ``elf`` through the labgrid environment ``env_path`` (see the module docstring)."""
    elf = Path(elf)
    if not elf.is_file():
        raise QlrError(f"no firmware at {elf} (build it with `scons board={board.name}`)")
    if not Path(env_path).is_file():
        raise QlrError(f"--labgrid {env_path}: no such file")
    dev = LabgridDevice(board, elf, env_path, on_line)
    if not link and dev.qemu is None:
        dev.read_console()
    return dev


def run_labgrid(board: Board, elf: str | Path, env_path: str | Path, *, timeout: float = 120.0,
                on_line: LineSink | None = None) -> RunResult:
    """Runs ``elf`` to completion through labgrid and returns its result (as `runner.run`)."""
    dev = start_labgrid(board, elf, env_path, on_line=on_line)
    try:
        return dev.wait(timeout)
    finally:
        dev.close()
