"""Byte channels to a device, opened by URL.

* a pyserial URL: a device path (`/dev/ttyACM0`, `COM3`) or anything `serial.serial_for_url`
  takes, notably `socket://HOST:PORT` for a QEMU serial chardev;
* `unix://PATH`: a Unix-domain socket (QEMU started by `qlr`: `-serial unix:PATH,server=on`, a
  path in the run's own folder, so emulators started in parallel never contend for a TCP port);
* `exec:COMMAND`: spawns COMMAND (split like a shell, no shell involved); the link is its
  stdin/stdout and its stderr is the console (the host board);
* `semihost:DIR`: for simulators without a UART path (GVSoC). The host appends requests to
  DIR/link.in and tails DIR/link.out; the firmware reads link.in from its current offset and
  appends to link.out through semihosting. The runner creates both files empty before it starts
  the simulator.

Every transport reads with `read(timeout)`: it waits up to `timeout` seconds for at least one
byte and returns what has arrived (b"" on timeout); a closed channel raises LinkClosed.
"""

from __future__ import annotations

import collections
import os
import select
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import serial  # pyserial

from qlr.link.errors import LinkClosed, LinkError

ConsoleSink = Callable[[str], None]


class Transport:
    """A byte channel. Subclasses implement write, read and close."""

    url: str = ""

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def console_lines(self) -> list[str]:
        """Console lines received on a side channel (exec: stderr); [] when there is none."""
        return []

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialTransport(Transport):
    """A pyserial URL: a UART device path or `socket://host:port` (QEMU chardev)."""

    def __init__(self, url: str, baudrate: int = 115200, connect_timeout: float | None = None) -> None:
        """connect_timeout: seconds to keep retrying a refused connection (an emulator that is
        still starting); default 10 s for socket:// URLs, 0 otherwise."""
        self.url = url
        self._serial_exc = serial.SerialException
        if connect_timeout is None:
            connect_timeout = 10.0 if url.startswith("socket://") else 0.0
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._ser = serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=10)
                break
            except (serial.SerialException, ValueError, OSError) as e:
                if isinstance(e, ValueError) or time.monotonic() >= deadline:
                    waited = f" (retried for {connect_timeout:g} s)" if connect_timeout else ""
                    raise LinkError(f"cannot open link {url!r}{waited}: {e}") from None
                time.sleep(0.05)
        self._timeout: float | None = 0

    def _set_timeout(self, t: float) -> None:
        if self._timeout != t:
            self._ser.timeout = t
            self._timeout = t

    def write(self, data: bytes) -> None:
        try:
            self._ser.write(data)
            self._ser.flush()
        except (self._serial_exc, OSError) as e:
            raise LinkClosed(f"link {self.url}: write failed: {e}") from None

    def read(self, timeout: float) -> bytes:
        try:
            self._set_timeout(max(timeout, 0.0))
            first = self._ser.read(1)
            if not first:
                return b""
            self._set_timeout(0)
            return first + self._ser.read(65536)
        except (self._serial_exc, OSError) as e:
            raise LinkClosed(f"link {self.url}: {e}") from None

    def close(self) -> None:
        self._ser.close()


class UnixSocketTransport(Transport):
    """`unix://PATH`: a stream Unix-domain socket (QEMU's chardev in server mode)."""

    def __init__(self, url: str, connect_timeout: float = 10.0) -> None:
        """connect_timeout: seconds to keep retrying while the socket does not exist or refuses
        (an emulator that is still starting)."""
        self.url = url
        path = url[len("unix://"):]
        if not path:
            raise LinkError("unix:// URL has no path")
        deadline = time.monotonic() + connect_timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                break
            except OSError as e:
                sock.close()
                if time.monotonic() >= deadline:
                    raise LinkError(f"cannot open link {url!r} (retried for {connect_timeout:g} s): {e}") from None
                time.sleep(0.05)
        self._sock = sock

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as e:
            raise LinkClosed(f"link {self.url}: write failed: {e}") from None

    def read(self, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._sock], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            data = self._sock.recv(65536)
        except OSError as e:
            raise LinkClosed(f"link {self.url}: {e}") from None
        if not data:
            raise LinkClosed(f"link {self.url}: closed by the other end")
        return data

    def close(self) -> None:
        self._sock.close()


class ExecTransport(Transport):
    """Spawns a command; the link is its stdin/stdout, its stderr the console."""

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        console: ConsoleSink | None = None,
        keep_lines: int = 2000,
    ) -> None:
        args = shlex.split(command) if isinstance(command, str) else list(command)
        if not args:
            raise LinkError("exec: URL has no command")
        self.url = "exec:" + " ".join(shlex.quote(a) for a in args)
        try:
            self._proc = subprocess.Popen(
                args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, bufsize=0,
            )
        except OSError as e:
            raise LinkError(f"cannot start link command {args[0]!r}: {e}") from None
        assert self._proc.stdin and self._proc.stdout and self._proc.stderr
        self._out = self._proc.stdout.fileno()
        self._lines: collections.deque[str] = collections.deque(maxlen=keep_lines)
        self._console = console
        self._stderr_thread = threading.Thread(target=self._pump_stderr, daemon=True)
        self._stderr_thread.start()

    def _pump_stderr(self) -> None:
        assert self._proc.stderr
        for raw in iter(self._proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._lines.append(line)
            if self._console:
                self._console(line)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self._proc

    def console_lines(self) -> list[str]:
        return list(self._lines)

    def _closed(self, what: str) -> LinkClosed:
        try:
            rc: int | None = self._proc.wait(timeout=1.0)  # EOF usually comes just before exit
        except subprocess.TimeoutExpired:
            rc = None
        state = f"exited with status {rc}" if rc is not None else "closed its output"
        return LinkClosed(f"link {self.url}: {what}: the process {state}")

    def write(self, data: bytes) -> None:
        assert self._proc.stdin
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise self._closed("write failed") from None

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._out], [], [], max(timeout, 0.0))
        if not ready:
            return b""
        data = os.read(self._out, 65536)
        if not data:
            raise self._closed("end of output")
        return data

    def wait(self, timeout: float) -> int:
        """Waits for the process to exit and returns its status (raises LinkError on timeout)."""
        try:
            rc = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LinkError(f"link {self.url}: process still running after {timeout} s") from None
        self._stderr_thread.join(timeout=2)
        return rc

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._stderr_thread.join(timeout=2)
        if self._proc.stdout:
            self._proc.stdout.close()
        if self._proc.stderr:
            self._proc.stderr.close()


class SemihostTransport(Transport):
    """Files in a directory shared with a simulator: append to link.in, tail link.out.

    `alive`, if given, is called while waiting; when it returns False the channel is closed
    (e.g. `lambda: sim.poll() is None` for the simulator's process)."""

    POLL_MIN, POLL_MAX = 0.001, 0.02  # seconds between looks at link.out (backing off)

    def __init__(self, directory: str | os.PathLike[str], *, alive: Callable[[], bool] | None = None) -> None:
        self.dir = Path(directory)
        self.url = f"semihost:{self.dir}"
        if not self.dir.is_dir():
            raise LinkError(f"semihost link directory {self.dir} does not exist")
        self.in_path = self.dir / "link.in"
        self.out_path = self.dir / "link.out"
        for p in (self.in_path, self.out_path):
            p.touch(exist_ok=True)
        self._in = open(self.in_path, "ab", buffering=0)
        self._out = open(self.out_path, "rb", buffering=0)
        self._alive = alive

    def write(self, data: bytes) -> None:
        self._in.write(data)

    def read(self, timeout: float) -> bytes:
        deadline = time.monotonic() + max(timeout, 0.0)
        pause = self.POLL_MIN
        while True:
            data = self._out.read(65536)
            if data:
                return data
            if self._alive is not None and not self._alive():
                data = self._out.read(65536)  # whatever it wrote before it stopped
                if data:
                    return data
                raise LinkClosed(f"link {self.url}: the simulator stopped")
            left = deadline - time.monotonic()
            if left <= 0:
                return b""
            time.sleep(min(pause, left))
            pause = min(pause * 2, self.POLL_MAX)

    def close(self) -> None:
        self._in.close()
        self._out.close()


def open_transport(url: str, **kwargs: object) -> Transport:
    """Opens `exec:CMD`, `semihost:DIR` or a pyserial URL (device path, `socket://host:port`)."""
    # The keyword arguments are the chosen transport's own (each checks them when called); one
    # signature cannot type the three, hence the ignores below.
    if url.startswith("unix://"):
        return UnixSocketTransport(url, **kwargs)  # type: ignore[arg-type]
    if url.startswith("exec:"):
        return ExecTransport(url[len("exec:"):], **kwargs)  # type: ignore[arg-type]
    if url.startswith("semihost:"):
        return SemihostTransport(url[len("semihost:"):], **kwargs)  # type: ignore[arg-type]
    if not url:
        raise LinkError("empty link URL (give a device path, socket://HOST:PORT, unix://PATH, exec:CMD or semihost:DIR)")
    return SerialTransport(url, **kwargs)  # type: ignore[arg-type]
