"""qlr link: talk to a running command server (firmware/app/server.c) over the link.

    qlr link --url socket://127.0.0.1:4321 info
    qlr link --url exec:"build/host/server.elf --cores 4" --json selftest all
    qlr link --board qemu-rv32 read L2 0x100 64        # starts build/qemu-rv32/server.elf
    qlr link --url /dev/ttyACM0 write L3 0 weights.bin

Numbers take a 0x prefix for hexadecimal. With --board the server is started through the board
runner, the action runs, and the server is then told to exit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from tqdm import tqdm

from qlr.boards.session import board_session
from qlr.errors import QlrError
from qlr.link.link import Link, parse_level


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer (use 0x.. for hex)") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", default=None,
                       help="link URL: a serial device, socket://HOST:PORT, exec:CMD or semihost:DIR "
                            "(default: $QLR_LINK_URL)")
    where.add_argument("--board", default=None,
                       help="start this board's command server (build/BOARD/server.elf) and use it")
    p.add_argument("--elf", default=None, help="with --board: the server ELF to start")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each response")
    p.add_argument("--retries", type=int, default=3, help="attempts after a timeout")
    p.add_argument("--console", action="store_true",
                   help="show the device's console text (lines outside frames) on stderr")
    json_help = "print the result as JSON"
    p.add_argument("--json", action="store_true", help=json_help)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        a = sub.add_parser(name, help=help_text, description=help_text)
        a.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=json_help)
        return a

    a = action("ping", "round-trip test: echo a payload")
    a.add_argument("--count", type=int, default=1, help="pings to send")
    a.add_argument("--size", type=int, default=16, help="payload bytes (0..1024)")
    action("info", "board, platform, firmware version, team size, memory sizes")
    a = action("selftest", "run a named runtime self-test on the device (default: all)")
    a.add_argument("name", nargs="?", default="all")
    a.add_argument("--test-timeout", type=float, default=300.0, help="seconds the test may take")
    a = action("read", "read device memory (hex dump, or raw bytes to --out)")
    a.add_argument("level", help="L2 or L3")
    a.add_argument("offset", type=_int)
    a.add_argument("length", type=_int)
    a.add_argument("-o", "--out", type=Path, default=None, help="write the bytes to this file")
    a = action("write", "write a file's bytes into device memory")
    a.add_argument("level", help="L2 or L3")
    a.add_argument("offset", type=_int)
    a.add_argument("file", type=Path)
    a = action("crc", "CRC-32 (zlib) of a device memory range, computed on the device")
    a.add_argument("level", help="L2 or L3")
    a.add_argument("offset", type=_int)
    a.add_argument("length", type=_int)
    a = action("exit", "tell the server to exit with a status")
    a.add_argument("status", type=_int, nargs="?", default=0)


@contextlib.contextmanager
def _open(args: argparse.Namespace) -> Iterator[Link]:
    console = (lambda line: print(f"| {line}", file=sys.stderr, flush=True)) if args.console else None
    if args.board is None:
        url = args.url or os.environ.get("QLR_LINK_URL")
        if not url:
            raise QlrError("no link: give --url URL, --board NAME, or set QLR_LINK_URL")
        with Link.open(url, timeout=args.timeout, retries=args.retries, console=console) as link:
            yield link
        return
    with board_session(args.board, rebuild=False, elf=args.elf, timeout=args.timeout, retries=args.retries,
                       console=console) as session:
        yield session.link
        if args.action == "exit":  # the action told it to exit: collect the process
            session.exited = True
            session.device.wait(10)


def _hexdump(offset: int, data: bytes) -> str:
    lines = []
    for i in range(0, len(data), 16):
        row = data[i:i + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{offset + i:08x}  {row.hex(' '):<47}  {text}")
    return "\n".join(lines)


def _advance(bar: tqdm[NoReturn]) -> Callable[[int], None]:
    """The link's progress callback (bytes done since the last call) moving `bar`."""
    def step(n: int) -> None:
        bar.update(n)
    return step


def _progress(total: int, what: str) -> tqdm[NoReturn]:
    return tqdm(total=total, unit="B", unit_scale=True, desc=what, leave=False,
                disable=None if total >= 64 * 1024 else True)


def main(args: argparse.Namespace) -> int:
    result: object
    text: str
    with _open(args) as link:
        if args.action == "ping":
            if not 0 <= args.size <= 1024 or args.count < 1:
                raise QlrError("ping: --size must be 0..1024 and --count at least 1")
            rtts = [link.ping(os.urandom(args.size)) for _ in range(args.count)]
            result = {"count": len(rtts), "size": args.size, "rtt_ms": [round(r * 1e3, 3) for r in rtts]}
            text = f"{len(rtts)} ping(s) of {args.size} bytes: " + \
                   f"min {min(rtts) * 1e3:.2f} ms, max {max(rtts) * 1e3:.2f} ms"
        elif args.action == "info":
            result = link.info()
            text = "\n".join(f"{k:13} {v}" for k, v in result.items())
        elif args.action == "selftest":
            result = link.selftest(args.name, timeout=args.test_timeout)
            text = (f"selftest {result['name']}: {result['passed']} passed, {result['failed']} failed, "
                    f"{result['counter']} counter ticks")
        elif args.action == "read":
            level = parse_level(args.level)
            with _progress(args.length, "read") as bar:
                data = link.mem_read(level, args.offset, args.length, progress=_advance(bar))
            if args.out:
                args.out.write_bytes(data)
            result = {"level": level.name, "offset": args.offset, "length": len(data),
                      **({"file": str(args.out)} if args.out else {"hex": data.hex()})}
            text = f"{len(data)} bytes written to {args.out}" if args.out else _hexdump(args.offset, data)
        elif args.action == "write":
            level = parse_level(args.level)
            try:
                data = args.file.read_bytes()
            except OSError as e:
                raise QlrError(f"cannot read {args.file}: {e.strerror}") from None
            with _progress(len(data), "write") as bar:
                link.mem_write(level, args.offset, data, progress=_advance(bar))
            result = {"level": level.name, "offset": args.offset, "length": len(data), "file": str(args.file)}
            text = f"{len(data)} bytes of {args.file} written at {level.name}+0x{args.offset:x}"
        elif args.action == "crc":
            level = parse_level(args.level)
            crc = link.mem_crc(level, args.offset, args.length)
            result = {"level": level.name, "offset": args.offset, "length": args.length, "crc32": crc}
            text = f"0x{crc:08x}"
        elif args.action == "exit":
            link.exit(args.status)
            result = {"status": args.status}
            text = f"server told to exit with status {args.status}"
        else:  # argparse only lets known actions through
            raise QlrError(f"unknown action {args.action}")
    print(json.dumps(result, indent=2) if args.json else text)
    if args.action == "selftest" and isinstance(result, dict) and not result["ok"]:
        return 1
    return 0
