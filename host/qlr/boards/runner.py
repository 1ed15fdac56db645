"""Running firmware on a board: QEMU, GVSoC, the host itself, or a real board.

`start()` launches a firmware ELF and returns a `Device`: its console is streamed line by line
(to a callback and into `Device.output`), `wait()` returns a `RunResult` with the exit status
and the parsed summary line. A device started with `link=True` also exposes `link_url`, a
transport URL for `qlr.link` (`unix://` to QEMU's serial chardev, a socket in the run's own
folder, `exec:` for the host board, `semihost:DIR` for GVSoC, also in the run's own folder).
Every emulator a `start` launches has its own folder and no fixed port, so any number of them
run side by side (a sweep's parallel device runs).

A run fails, with a message that says why, when the firmware exits non-zero, crashes, times
out, or ends without its summary line (`<prog>: N passed, M failed, ...`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import serial  # pyserial

from qlr.boards.registry import Board, load_board
from qlr.cache import cached_gvsoc
from qlr.errors import QlrError

SUMMARY_RE = re.compile(
    r"^(?P<prog>qlr-[\w-]+): (?P<passed>\d+) passed, (?P<failed>\d+) failed(?P<rest>.*)$"
)
FATAL_RE = re.compile(r"^qlr-fatal: (?P<what>.*)$")
EXIT_RE = re.compile(r"^qlr-exit: (?P<status>-?\d+)$")
GVSOC_HELP = (
    "GVSoC not found: build it once with `tools/setup --gvsoc SRC` (SRC: a GVSoC source tarball, "
    "directory or git URL, e.g. ../shared/gvsoc/gvsoc-209c147-src.tar.gz or "
    "https://github.com/gvsoc/gvsoc), or name a launcher with GVSOC=/path/to/gvsoc or --gvsoc PATH"
)

GVSOC_OPTION_HELP = "GVSoC launcher for pulp-open (default: $GVSOC, else the build of `tools/setup --gvsoc`)"

LineSink = Callable[[str], None]


@dataclass
class Summary:
    program: str
    passed: int
    failed: int
    rest: str
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, line: str) -> Summary | None:
        m = SUMMARY_RE.match(line.strip())
        if not m:
            return None
        rest = m.group("rest")
        fields: dict[str, str] = {}
        for part in rest.split(","):
            part = part.strip()
            if not part:
                continue
            # "cores 8/8" -> cores: "8/8"; "123 instructions" -> instructions: "123"
            words = part.split()
            if len(words) == 2 and words[0].isdigit():
                fields[words[1]] = words[0]
            elif len(words) == 2:
                fields[words[0]] = words[1]
        return cls(m.group("prog"), int(m.group("passed")), int(m.group("failed")), rest, fields)


@dataclass
class RunResult:
    board: str
    elf: str
    status: int | None          # exit status; None when the run did not end by itself
    output: list[str]
    summary: Summary | None
    timed_out: bool = False
    error: str | None = None    # why the run failed, in one sentence; None when it passed
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        return {
            "board": self.board,
            "elf": self.elf,
            "ok": self.ok,
            "status": self.status,
            "timed_out": self.timed_out,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "summary": None if s is None else {
                "program": s.program, "passed": s.passed, "failed": s.failed, **s.fields},
        }


def find_gvsoc(explicit: str | None = None) -> str | None:
    """The GVSoC launcher: --gvsoc, then $GVSOC, then the build of `tools/setup --gvsoc`
    (`$QLR_CACHE/gvsoc/current/gvsoc`), then `gvsoc` on PATH; None if there is none.
    A launcher named explicitly (--gvsoc or $GVSOC) that is not an executable file is an error,
    not a reason to fall back silently to another one."""
    for how, cand in (("--gvsoc", explicit), ("$GVSOC", os.environ.get("GVSOC"))):
        if cand:
            if not (Path(cand).is_file() and os.access(cand, os.X_OK)):
                raise QlrError(f"{how} names {cand}, which is not an executable file (a GVSoC launcher)")
            return str(Path(cand).resolve())
    for cand in (str(cached_gvsoc()), shutil.which("gvsoc")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return str(Path(cand).resolve())
    return None


class Device:
    """A firmware running on a board (see module docstring)."""

    def __init__(self, board: Board, elf: Path, argv: list[str], link_url: str | None,
                 on_line: LineSink | None, workdir: Path | None, spawn: bool = True) -> None:
        self.board = board
        self.elf = elf
        self.argv = argv
        self.link_url = link_url
        self.output: list[str] = []
        self._on_line = on_line
        self._workdir = workdir
        self._t0 = time.monotonic()
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._port: serial.SerialBase | None = None  # a real board's console (pyserial)
        self._exited = threading.Event()       # a real board printed `qlr-exit: N`
        if spawn:
            self._spawn()

    @property
    def workdir(self) -> Path | None:
        """The emulator's working directory (its semihosting files), if the runner made one."""
        return self._workdir

    def _spawn(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=self._workdir, start_new_session=True)
        except FileNotFoundError:
            raise QlrError(f"board {self.board.name}: cannot start '{self.argv[0]}': not found "
                           "(run tools/setup to install the emulators)") from None
        self._reader = threading.Thread(target=self._read_console, daemon=True)
        self._reader.start()

    def _read_console(self) -> None:
        assert self.proc and self.proc.stdout
        for raw in iter(self.proc.stdout.readline, b""):
            self._add_line(raw)

    def _add_line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self.output.append(line)
        if self._on_line:
            self._on_line(line)
        if EXIT_RE.match(line):
            self._exited.set()

    def attach_serial(self, url: str) -> None:
        """Streams a real board's console from a serial port (it ends with `qlr-exit: N`)."""
        try:
            self._port = serial.serial_for_url(url, baudrate=115200, timeout=0.2)
        except (serial.SerialException, ValueError, OSError) as e:
            raise QlrError(f"board {self.board.name}: cannot open console {url!r}: {e}") from None
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()

    def _read_serial(self) -> None:
        buf = b""
        while not self._exited.is_set() and self._port is not None:
            try:
                chunk = self._port.read(256)
            except Exception:  # the port went away: the run ends without a status
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self._add_line(raw)

    def wait(self, timeout: float) -> RunResult:
        timed_out = False
        status: int | None = None
        if self.proc is not None:
            try:
                status = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                self.kill()
            if self._reader:
                self._reader.join(timeout=5)
        elif self._port is not None:
            timed_out = not self._exited.wait(timeout)
            self._exited.set()
            if self._reader:
                self._reader.join(timeout=5)
        return self._result(status, timed_out)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def close(self) -> None:
        self.kill()
        self._exited.set()
        if self._port is not None:
            self._port.close()
            self._port = None
        if self._workdir and self._workdir.name.startswith("qlr-run-"):
            shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _result(self, status: int | None, timed_out: bool) -> RunResult:
        summary = None
        fatal = None
        exit_line = None
        for line in self.output:
            summary = Summary.parse(line) or summary
            m = FATAL_RE.match(line)
            if m and fatal is None:
                fatal = m.group("what")
            m = EXIT_RE.match(line)
            if m:
                exit_line = int(m.group("status"))
        # Boards that cannot return a full status print `qlr-exit: N` (real boards have no
        # process status; GVSoC exits 1 for any non-zero status): take N where it agrees.
        if exit_line is not None and (status is None or (status != 0) == (exit_line != 0)):
            status = exit_line
        error = None
        name = f"{self.elf.name} on {self.board.name}"
        if timed_out:
            error = f"{name}: timed out (killed); last output: {self._tail()}"
        elif fatal:
            error = f"{name}: crashed: {fatal}"
        elif status is not None and status < 0:
            error = f"{name}: killed by signal {-status}; last output: {self._tail()}"
        elif summary is None:
            error = f"{name}: no summary line (`qlr-...: N passed, M failed`) in its output " \
                    f"(exit status {status}); last output: {self._tail()}"
        elif status != 0:
            error = f"{name}: exit status {status} ({summary.failed} failed)"
        elif summary.failed:
            error = f"{name}: {summary.failed} failed but exit status 0"
        return RunResult(self.board.name, str(self.elf), status, list(self.output), summary,
                         timed_out, error, time.monotonic() - self._t0)

    def _tail(self, n: int = 3) -> str:
        tail = [l for l in self.output if l.strip()][-n:]
        return " | ".join(tail) if tail else "(nothing)"


def _format(template: list[str], **values: str) -> list[str]:
    return [t.format(**values) for t in template]


# ELF e_machine of each platform's firmware (the host board runs native executables).
ELF_MACHINES = {"riscv-virt": (243, "RISC-V"), "pulp": (243, "RISC-V"), "stm32": (40, "ARM")}
ELF_MACHINE_NAMES = {3: "x86", 40: "ARM", 62: "x86-64", 183: "AArch64", 243: "RISC-V"}


def check_elf_machine(board: Board, elf: Path) -> None:
    """Refuses a file that is not an ELF, or an ELF of another ISA than the board's, before an
    emulator is started on it (it would only wait out its timeout)."""
    try:
        with open(elf, "rb") as f:
            head = f.read(20)
    except OSError as e:
        raise QlrError(f"{elf}: cannot read ({e.strerror})") from None
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] not in (1, 2):
        raise QlrError(f"{elf} is not an ELF file: give the firmware built by `scons board={board.name}`")
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    want = ELF_MACHINES.get(board.platform)
    if want is not None and machine != want[0]:
        got = ELF_MACHINE_NAMES.get(machine, f"machine {machine}")
        raise QlrError(f"{elf} is a {got} ELF; board {board.name} runs {want[1]} firmware "
                       f"(build it with `scons board={board.name}` and use build/{board.name}/...)")


def start(board: Board | str, elf: str | Path, *, cores: int | None = None, link: bool = False,
          gvsoc: str | None = None, on_line: LineSink | None = None,
          serial_url: str | None = None) -> Device:
    """Starts `elf` on `board`; see the module docstring."""
    b = load_board(board) if isinstance(board, str) else board
    elf = Path(elf)
    if not elf.is_file():
        raise QlrError(f"no firmware at {elf} (build it with `scons board={b.name}`)")
    if cores is not None and not 1 <= cores <= b.team_max:
        raise QlrError(f"board {b.name}: --cores must be 1..{b.team_max}, got {cores}")
    kind = b.runner.get("kind")
    if kind in ("qemu", "gvsoc"):
        # An emulator given another ISA's ELF would only wait out its timeout; the host board's
        # OS and a real board's flasher refuse a wrong file themselves.
        check_elf_machine(b, elf)
    cmd = list(b.runner.get("command", []))
    n = str(cores or b.team_max)
    if kind == "host":
        argv = _format(cmd, elf=str(elf.resolve()), cores=n)
        if link:
            # The host board's link is the program's stdin/stdout: the exec: transport spawns it.
            return Device(b, elf, argv, "exec:" + shlex.join(argv), on_line, None, spawn=False)
        return Device(b, elf, argv, None, on_line, None)
    if kind == "qemu":
        argv = _format(cmd, elf=str(elf.resolve()))
        if "-smp" in argv and cores is not None:
            argv[argv.index("-smp") + 1] = str(cores + 1)  # one controller hart + the workers
        url = None
        workdir = None
        serial_arg = b.runner.get("serial_arg", "-serial")
        if link:
            # The run's own folder: QEMU's working directory (its semihosting opens the files of
            # MEM_LOAD/MEM_STORE there) and the home of its link, a Unix socket rather than a TCP
            # port, so that emulators started at the same time (a sweep's parallel device runs)
            # cannot pick the same one. wait=on: QEMU does not start the CPU before the host has
            # connected, so nothing the firmware sends is lost.
            workdir = Path(tempfile.mkdtemp(prefix="qlr-run-"))
            sock = workdir / "link.sock"
            argv += [serial_arg, f"unix:{sock},server=on,wait=on"]
            url = f"unix://{sock}"
        else:
            argv += [serial_arg, "null"]
        return Device(b, elf, argv, url, on_line, workdir)
    if kind == "gvsoc":
        exe = find_gvsoc(gvsoc)
        if exe is None:
            raise QlrError(GVSOC_HELP)
        workdir = Path(tempfile.mkdtemp(prefix="qlr-run-"))
        url = None
        if link:
            (workdir / "link.in").write_bytes(b"")
            (workdir / "link.out").write_bytes(b"")
            url = f"semihost:{workdir}"
        # {l3_size}: the board's L3 in bytes, e.g. to size the simulated HyperRAM to match
        argv = _format(cmd, elf=str(elf.resolve()), gvsoc=exe, l3_size=str(b.memory["L3"].size))
        return Device(b, elf, argv, url, on_line, workdir)
    if kind == "flash":
        # A real board: open its console first (what it prints after the reset that ends the
        # flashing is not lost), flash it, then read the console to its `qlr-exit:` line.
        url = serial_url or b.runner.get("serial_url", "/dev/ttyACM0")
        argv = _format(cmd, elf=str(elf.resolve()))
        dev = Device(b, elf, argv, url if link else None, on_line, None, spawn=False)
        if not link:
            dev.attach_serial(url)
        try:
            flashed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        except FileNotFoundError:
            dev.close()
            raise QlrError(f"board {b.name}: cannot flash: '{argv[0]}' not found (apt-get install "
                           "openocd, or flash by hand and use `qlr link --url PORT`)") from None
        except subprocess.TimeoutExpired:
            dev.close()
            raise QlrError(f"board {b.name}: flashing with '{argv[0]}' timed out after 120 s") from None
        if flashed.returncode != 0:
            dev.close()
            tail = (flashed.stderr or flashed.stdout).strip().splitlines()[-3:]
            raise QlrError(f"board {b.name}: flashing failed ({' '.join(argv)}): {' | '.join(tail)}")
        return dev
    raise QlrError(f"{b.path}: runner.kind '{kind}' is not one of host, qemu, gvsoc, flash")


def run(board: Board | str, elf: str | Path, *, cores: int | None = None, timeout: float = 120.0,
        gvsoc: str | None = None, on_line: LineSink | None = None,
        serial_url: str | None = None) -> RunResult:
    """Runs `elf` to completion on `board` and returns its result (never raises on failure of
    the firmware itself; only when the run cannot start)."""
    dev = start(board, elf, cores=cores, gvsoc=gvsoc, on_line=on_line, serial_url=serial_url)
    try:
        return dev.wait(timeout)
    finally:
        dev.close()
