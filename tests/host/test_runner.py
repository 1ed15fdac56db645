"""The runner's verdicts: a missing summary line, a timeout, a crash or a non-zero status is a
failure with a message that says which. Fake firmware here are small shell scripts run by the
host board's runner (which executes `ELF --cores N`)."""

from __future__ import annotations

import dataclasses
import socket
import stat
import threading
import time

import pytest

from qlr.boards.registry import load_board
from qlr.boards.runner import run
from qlr.errors import QlrError


def fake_elf(tmp_path, body: str):
    p = tmp_path / "fake.elf"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


def test_pass(tmp_path):
    res = run("host", fake_elf(tmp_path, 'echo "qlr-selftest: 3 passed, 0 failed, cores 8/8"'))
    assert res.ok and res.status == 0 and res.summary.passed == 3


def test_missing_summary_is_failure(tmp_path):
    res = run("host", fake_elf(tmp_path, "echo hello; exit 0"))
    assert not res.ok and "no summary line" in res.error and "hello" in res.error


def test_nonzero_status_is_failure_even_with_a_clean_summary(tmp_path):
    res = run("host", fake_elf(tmp_path, 'echo "qlr-selftest: 3 passed, 0 failed"; exit 3'))
    assert not res.ok and res.status == 3 and "exit status 3" in res.error


def test_failed_count_with_status_zero_is_failure(tmp_path):
    res = run("host", fake_elf(tmp_path, 'echo "qlr-selftest: 3 passed, 1 failed"; exit 0'))
    assert not res.ok and "1 failed" in res.error


def test_timeout_kills_and_fails(tmp_path):
    res = run("host", fake_elf(tmp_path, "echo started; sleep 30"), timeout=1.0)
    assert not res.ok and res.timed_out and "timed out" in res.error and "started" in res.error
    assert res.seconds < 10


def test_crash_line_is_failure(tmp_path):
    res = run("host", fake_elf(tmp_path, 'echo "qlr-fatal: exception on hart 2: mcause 5"; exit 3'))
    assert not res.ok and "crashed" in res.error and "mcause 5" in res.error


def test_killed_by_signal_is_failure(tmp_path):
    res = run("host", fake_elf(tmp_path, "kill -SEGV $$"))
    assert not res.ok and "signal" in res.error


def test_exit_line_gives_status_for_real_boards(tmp_path):
    # Real boards print `qlr-exit: N`; the line is parsed (here it agrees with the status).
    res = run("host", fake_elf(tmp_path, 'echo "qlr-selftest: 1 passed, 0 failed"; echo "qlr-exit: 0"'))
    assert res.ok


def test_missing_elf_and_bad_cores_are_clear_errors(tmp_path):
    with pytest.raises(QlrError, match="no firmware at"):
        run("host", tmp_path / "nope.elf")
    with pytest.raises(QlrError, match="--cores must be 1..8"):
        run("qemu-rv32", fake_elf(tmp_path, "true"), cores=9)


def _real_board(flash_cmd):
    b = load_board("stm32l476")
    return dataclasses.replace(b, runner={**b.runner, "command": flash_cmd})


def _console_server(lines: bytes):
    """A TCP server standing in for a board's serial console (pyserial socket://)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        time.sleep(0.3)  # the board starts printing after the flasher has reset it
        with conn:
            for chunk in lines.split(b"|"):
                conn.sendall(chunk)
                time.sleep(0.05)
            time.sleep(0.5)
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"socket://127.0.0.1:{srv.getsockname()[1]}"


def test_real_board_flashes_then_reads_console_to_exit_line(tmp_path):
    url = _console_server(b"boot\r\nqlr-selftest: 9 pa|ssed, 0 failed, cores 1/1\r\n|qlr-exit: 0\r\n")
    res = run(_real_board(["true", "{elf}"]), fake_elf(tmp_path, "true"), serial_url=url, timeout=10)
    assert res.ok, res.error
    assert res.status == 0 and res.summary.passed == 9


def test_real_board_failure_status_from_exit_line(tmp_path):
    url = _console_server(b"qlr-selftest: 8 passed, 1 failed\n|qlr-exit: 1\n")
    res = run(_real_board(["true"]), fake_elf(tmp_path, "true"), serial_url=url, timeout=10)
    assert not res.ok and res.status == 1


def test_real_board_silent_console_times_out(tmp_path):
    url = _console_server(b"booting...\n")
    res = run(_real_board(["true"]), fake_elf(tmp_path, "true"), serial_url=url, timeout=1.5)
    assert not res.ok and res.timed_out


def test_real_board_flash_failure_is_a_clear_error(tmp_path):
    with pytest.raises(QlrError, match="flashing failed.*no device found"):
        run(_real_board(["sh", "-c", "echo 'Error: no device found' >&2; exit 1"]),
            fake_elf(tmp_path, "true"), serial_url=_console_server(b""))
    with pytest.raises(QlrError, match="not found"):
        run(_real_board(["no-such-flasher-xyz"]), fake_elf(tmp_path, "true"),
            serial_url=_console_server(b""))


def test_real_board_missing_console_port_is_a_clear_error(tmp_path):
    with pytest.raises(QlrError, match="cannot open console '/dev/no-such-tty'"):
        run(_real_board(["true"]), fake_elf(tmp_path, "true"), serial_url="/dev/no-such-tty")


def test_unknown_board_names_the_known_ones():
    with pytest.raises(QlrError, match="unknown board 'nope'.*qemu-rv32"):
        load_board("nope")
