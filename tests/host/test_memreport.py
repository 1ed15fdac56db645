"""`qlr memreport` and qlr.report: ELF sections per region, windows, the plan on top, verdicts.

The ELFs are tiny programs (tests/host/memreport_tiny/tiny.c) built by `scons board=NAME tests`
with the board's flags, the platform's real linker script (firmware/platform/<family>/sections.ld)
and the memory.ld SCons writes from the board's memory map, so the test knows exactly what they
hold (a 100000-byte .bss array (20000 on stm32l476), a 3000-byte table, a 256-byte .l1 buffer)
and checks the report against the toolchain's own readelf and nm. A slow test runs
the report on the real firmware of every embedded board.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import c_test_program

from qlr import REPO_ROOT
from qlr.boards import load_board
from qlr.boards.build import build
from qlr.cli import main as qlr_main
from qlr.errors import QlrError
from qlr.image import write_image
from qlr.image.pack import build_content
from qlr.image.sample import SAMPLE_LR_LAYER, sample_content, sample_network
from qlr.model import save_network
from qlr.quant.ptq import quantize_front_end
from qlr.report import board_for_elf, read_firmware

PLATFORM = REPO_ROOT / "firmware" / "platform"

READELF = {"qemu-rv32": "riscv64-unknown-elf-readelf", "pulp-open": "riscv64-unknown-elf-readelf",
           "qemu-m4": "arm-none-eabi-readelf", "stm32l476": "arm-none-eabi-readelf"}


def tiny_bss(board: str) -> int:
    """The .bss array of tests/host/memreport_tiny/tiny.c on `board` (its rule, from the board's L2)."""
    return 100000 if load_board(board).memory["L2"].size >= 0x100000 else 20000


def link_tiny(root: Path, board: str, dirname: str | None = None, marked: bool = False) -> Path:
    """The board's tiny program (`scons board=BOARD tests`: the board's flags, the platform's
    linker script; `marked`: with a .qlr_board section naming the board), copied to
    root/DIRNAME/tiny.elf (DIRNAME defaults to the board: where the report looks for the board)."""
    built = c_test_program(board, "tiny-marked.elf" if marked else "tiny.elf")
    d = root / (dirname or board)
    d.mkdir(parents=True, exist_ok=True)
    elf = d / "tiny.elf"
    shutil.copyfile(built, elf)
    return elf


@pytest.fixture(scope="module")
def elves(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("build")
    return {b: link_tiny(root, b) for b in ("qemu-rv32", "pulp-open", "qemu-m4")}


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("img") / "sample.qlr"
    write_image(p, sample_content(seed=2, lr_bits=7, lr_count=6))
    return p


@pytest.fixture(scope="module")
def big_image(tmp_path_factory) -> Path:
    """The sample network with 4000 classes: its last layer (8 -> 4000, FP32) takes 125 KiB, three
    times over (weights, momentum, gradient): more than stm32l476's 96 KiB L2. No LR memory."""
    net = sample_network(0, classes=4000)
    front, back = net.fold_batchnorm().split(SAMPLE_LR_LAYER)
    x = np.random.default_rng(0).integers(0, 256, size=(8,) + net.input_shape, dtype=np.uint8)
    p = tmp_path_factory.mktemp("img") / "big.qlr"
    write_image(p, build_content(quantize_front_end(front, x), back))
    return p


def readelf_sections(board: str, elf: Path) -> dict[str, tuple[int, int]]:
    """name -> (address, size) from the toolchain's readelf."""
    out = subprocess.run([READELF[board], "-SW", str(elf)], capture_output=True, text=True, check=True).stdout
    secs = {}
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s", line)
        if m:
            secs[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return secs


def nm_symbol(board: str, elf: Path, name: str) -> int:
    nm = READELF[board].replace("readelf", "nm")
    out = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError(f"{name} not in {elf}")


def ld_constant(platform: str, name: str) -> int:
    text = (PLATFORM / platform / "sections.ld").read_text()
    m = re.search(rf"^{name}\s*=\s*(0x[0-9a-fA-F]+|\d+);", text, re.M)
    assert m, name
    return int(m.group(1), 0)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = qlr_main(["memreport", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


# ---- what the ELF places ------------------------------------------------------------------------

def test_rv32_sections_per_region_and_window(elves):
    elf = elves["qemu-rv32"]
    fw = read_firmware(elf, "qemu-rv32")
    secs = readelf_sections("qemu-rv32", elf)
    by = lambda region, cat: sum(p.size for p in fw.pieces if p.region == region and p.category == cat)
    code = sum(secs[n][1] for n in secs if n.startswith((".text", ".rodata", ".srodata")))
    static = sum(secs[n][1] for n in secs if n.startswith((".data", ".sdata", ".bss", ".sbss")))
    assert by("L2", "code") == code and code >= 3000
    assert by("L2", "static") == static and tiny_bss("qemu-rv32") + 64 <= static < tiny_bss("qemu-rv32") + 128
    stacks = ld_constant("riscv-virt", "QLR_STACK_SIZE") * ld_constant("riscv-virt", "QLR_HARTS")
    assert by("L2", "stack") == stacks == secs[".stacks"][1]
    assert by("L1", "static") == 256  # l1_tile in .l1
    free2, free1 = nm_symbol("qemu-rv32", elf, "__l2_free_start"), nm_symbol("qemu-rv32", elf, "__l1_free_start")
    b = load_board("qemu-rv32")
    assert fw.windows["L2"].base == free2 and fw.windows["L2"].size == b.memory["L2"].end - free2
    assert fw.windows["L1"].base == free1 and fw.windows["L1"].size == b.memory["L1"].end - free1
    assert fw.windows["L3"].size == b.memory["L3"].size
    assert fw.biggest_objects[0][0] == "big_bss" and fw.biggest_objects[0][2] == tiny_bss("qemu-rv32") == 100000


def test_pulp_cluster_stacks_are_carved_out_of_l1(elves):
    elf = elves["pulp-open"]
    fw = read_firmware(elf, "pulp-open")
    l1 = fw.in_region("L1")
    cl_stacks = ld_constant("pulp", "QLR_CL_STACK_SIZE") * ld_constant("pulp", "QLR_CL_CORES")
    assert sum(p.size for p in l1 if p.category == "stack") == cl_stacks
    assert sum(p.size for p in l1 if p.category == "static") == 256
    fc = readelf_sections("pulp-open", elf)[".fc_stack"][1]
    assert sum(p.size for p in fw.in_region("L2") if p.category == "stack") == fc == ld_constant("pulp", "QLR_FC_STACK_SIZE")
    assert fw.windows["L1"].base == nm_symbol("pulp-open", elf, "__l1_free_start")


def test_cortex_m_data_load_image_counts_in_flash(elves):
    elf = elves["qemu-m4"]
    fw = read_firmware(elf, "qemu-m4")
    secs = readelf_sections("qemu-m4", elf)
    flash = fw.in_region("FLASH")
    assert sum(p.size for p in flash if p.category == "static") == secs[".data"][1] == 64
    assert sum(p.size for p in flash if p.category == "code") == sum(
        secs[n][1] for n in (".isr_vector", ".text", ".rodata", ".ARM.exidx") if n in secs)
    assert sum(p.size for p in fw.in_region("L2") if p.category == "stack") == ld_constant("stm32", "QLR_STACK_SIZE")


# ---- the report and the command -----------------------------------------------------------------

def test_cli_json_adds_the_plan_to_the_elf(elves, image, capsys):
    elf = elves["qemu-rv32"]
    rc, out, err = run_cli(capsys, elf, "--image", image, "--mb", 32, "--n-new", 10, "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["board"] == "qemu-rv32" and rep["fits"] is True and "build directory" in rep["board_source"]
    plan = rep["plan"]
    assert plan["config"]["n_lr"] == 6 and plan["config"]["q_lr"] == 7 and plan["ub"] == 32
    regions = {r["region"]: r for r in rep["regions"]}
    l2 = regions["L2"]
    free2 = nm_symbol("qemu-rv32", elf, "__l2_free_start")
    assert l2["used"] == (free2 - 0x80000000) + plan["windows"]["L2"]["used"]
    assert l2["budget"] == load_board("qemu-rv32").memory["L2"].size
    assert l2["free"] == l2["budget"] - l2["used"]
    for key in ("code", "static", "stack", "weights", "optimizer", "gradients", "overlay", "data", "event"):
        assert l2["rows"][key] > 0, key
    assert sum(l2["rows"].values()) == l2["used"]
    # the overlay row: the front-end's and the training buffers share one span
    ov = plan["windows"]["L2"]["overlay"]
    assert l2["rows"]["overlay"] == ov["span"] and ov["span"] < ov["front"] + ov["train"] + 64 * 20
    # the LR memory in L3: 6 latents of 12 elements at 7 bits = 11 bytes each, u16 labels; the
    # 12 FP32 scales in L2
    assert regions["L3"]["rows"]["lr"] == 6 * 11 + 2 * 6 and l2["rows"]["lr"] == 4 * 12
    assert plan["lr_bytes"] == 6 * 11 + 2 * 6 + 4 * 12
    assert l2["rows"]["image"] == image.stat().st_size  # read in place by the firmware's image reader


def test_cli_text_shows_each_category_and_a_verdict(elves, image, capsys):
    rc, out, err = run_cli(capsys, elves["pulp-open"], "--image", image, "--mb", 16)
    assert rc == 0, err
    for label in ("code", "static data", "stacks", "LR memory", "weights", "optimizer", "gradients",
                  "overlay", "data", "event state", "image", "tiles"):
        assert re.search(rf"^  {label}\s+[\d,]+", out, re.M), label
    for region in ("L1", "L2", "L3"):
        assert re.search(rf"^  {region}: fits, [\d.]+% used", out, re.M), region
    assert out.rstrip().endswith("verdict: fits board pulp-open")


def _l3_used(n: int, plan_bytes: int) -> int:
    """L3 bytes of n latents of 11 bytes, their u16 labels and the plan, each at a multiple of 64."""
    start_labels = -(-(n * 11) // 64) * 64
    start_plan = -(-(start_labels + 2 * n) // 64) * 64
    return start_plan + plan_bytes


def test_too_big_configuration_exits_1_naming_region_excess_and_consumers(elves, image, capsys):
    # 10 million latents of 12 elements at 7 bits (11 bytes) + labels = 125.9 MB > 64 MiB of L3; the
    # event's bookkeeping in L2 grows with N_LR too (a u32 permutation and work array of N_LR each,
    # a u16 label mirror) and overflows L2 first
    n = 10_000_000
    rc, out, err = run_cli(capsys, elves["qemu-rv32"], "--image", image, "--n-lr", n)
    assert rc == 1
    line = err.strip().splitlines()[-1]
    rc, out_json, _ = run_cli(capsys, elves["qemu-rv32"], "--image", image, "--n-lr", n, "--json")
    plan_bytes = next(a["size"] for a in json.loads(out_json)["plan"]["allocations"] if a["name"] == "plan")
    used = _l3_used(n, plan_bytes)
    assert line.startswith("qlr memreport: error: L2 of board qemu-rv32 needs")
    assert f"biggest: event.perm_rep (event) {4 * n / 2**20:.2f} MiB, event.work (event) {4 * n / 2**20:.2f} MiB" in line
    assert line.endswith(f"; also L3 over by {used - (1 << 26)} bytes ({(used - (1 << 26)) / 2**20:.2f} MiB)")
    assert "DOES NOT FIT" in out and "verdict: DOES NOT FIT" in out  # the table is printed first
    # JSON too, with the same exit status
    rc, out, err = run_cli(capsys, elves["qemu-rv32"], "--image", image, "--n-lr", n, "--json")
    assert rc == 1 and "L2 of board qemu-rv32" in err
    rep = json.loads(out)
    l3 = {r["region"]: r for r in rep["regions"]}["L3"]
    assert rep["fits"] is False and l3["fits"] is False
    assert l3["used"] == used and l3["free"] == (1 << 26) - used


def test_too_big_for_l2_even_at_micro_batch_1(tmp_path, big_image, capsys):
    assert tiny_bss("stm32l476") == 20000  # 96 KiB of L2
    elf = link_tiny(tmp_path, "stm32l476")
    rc, out, err = run_cli(capsys, elf, "--image", big_image, "--n-lr", 10, "--q-lr", 8)
    assert rc == 1
    assert "qlr memreport: error: L2 of board stm32l476 needs" in err
    assert "(at micro-batch 1 of 128)" in err
    # the biggest consumers: the image (read in place from L2), the last layer's weights,
    # gradient and momentum (8 x 4000 FP32 each: L3 has no room to stream them)
    biggest = err.split("biggest: ")[1].split(" (at micro-batch")[0]
    assert biggest == (f"image (image) {big_image.stat().st_size / 1024:.1f} KiB, be.10.weight (weights) 125.0 KiB, "
                       "grad.10.weight (gradients) 125.0 KiB, opt.10.weight (optimizer) 125.0 KiB")
    # every region that does not fit is named: 2000 latents of 12 bytes at 0, 2000 labels at
    # 24000 (a multiple of 64), the plan at 28032: in a 16 KiB L3
    rc, out_json, err = run_cli(capsys, elf, "--image", big_image, "--n-lr", 2000, "--q-lr", 8, "--n-new", 0, "--json")
    assert rc == 1 and "L2 of board stm32l476" in err
    plan_bytes = next(a["size"] for a in json.loads(out_json)["plan"]["allocations"] if a["name"] == "plan")
    over = 28032 + plan_bytes - 16384
    assert err.rstrip().endswith(f"; also L3 over by {over} bytes ({over / 1024:.1f} KiB)")
    # the image has no LR memory: N_LR and Q_LR must be given
    rc, _, err = run_cli(capsys, elf, "--image", big_image)
    assert rc == 1 and "the image has no LR memory, so 'n_lr' must be given" in err


def test_board_from_marker_path_and_flag(tmp_path):
    elf = link_tiny(tmp_path, "qemu-rv32", dirname="somewhere", marked=True)
    assert board_for_elf(elf) == ("qemu-rv32", "the ELF's .qlr_board section")
    with pytest.raises(QlrError, match="says board 'qemu-rv32', but --board is 'pulp-open'"):
        board_for_elf(elf, "pulp-open")
    plain = link_tiny(tmp_path, "qemu-rv32", dirname="qemu-rv32-fault-copy")
    assert board_for_elf(plain)[0] == "qemu-rv32"
    odd = link_tiny(tmp_path, "qemu-rv32", dirname="elsewhere")
    with pytest.raises(QlrError, match="cannot tell which board.*pass --board NAME"):
        board_for_elf(odd)


def test_wrong_board_and_host_elf_are_clear_errors(elves, tmp_path, capsys):
    rc, _, err = run_cli(capsys, elves["qemu-rv32"], "--board", "qemu-m4")
    assert rc == 1 and "the ELF is for RISCV but board qemu-m4 (stm32) needs ARM" in err
    rc, _, err = run_cli(capsys, elves["qemu-rv32"], "--board", "pulp-open")  # same ISA, other map
    assert rc == 1 and "section .text at 0x80000000" in err and "outside every memory region of board pulp-open" in err
    native = tmp_path / "host" / "server.elf"
    native.parent.mkdir()
    shutil.copyfile(c_test_program("host", "link_parser"), native)  # any native program of the host board
    rc, _, err = run_cli(capsys, native)
    assert rc == 1 and "host board's firmware is a native executable" in err and "--board host --image" in err
    notelf = tmp_path / "qemu-rv32" / "x.elf"
    notelf.parent.mkdir()
    notelf.write_bytes(b"hello")
    rc, _, err = run_cli(capsys, notelf)
    assert rc == 1 and "not an ELF file" in err


def test_plan_only_for_host_and_option_errors(image, capsys):
    rc, out, err = run_cli(capsys, "--board", "host", "--image", image, "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["elf"] is None and rep["notes"] and rep["plan"]["windows"]["L2"]["size"] == load_board("host").memory["L2"].size
    rc, _, err = run_cli(capsys, "--board", "host")
    assert rc == 1 and "give --image" in err
    rc, _, err = run_cli(capsys)
    assert rc == 1 and "give a firmware ELF" in err


def test_plan_options_need_an_image(elves, capsys):
    rc, _, err = run_cli(capsys, elves["qemu-rv32"], "--n-lr", 100)
    assert rc == 1 and "--n-lr describe the learning event: they need --image" in err


def test_elf_only_report_has_no_plan_rows(elves, capsys):
    rc, out, err = run_cli(capsys, elves["qemu-m4"], "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["plan"] is None
    regions = {r["region"]: r for r in rep["regions"]}
    assert set(regions) == {"L1", "L2", "L3", "FLASH"}
    assert regions["L3"]["used"] == 0 and "lr" not in regions["L2"]["rows"]


# ---- the real firmware ------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("board", ["qemu-rv32", "qemu-m4", "pulp-open", "stm32l476"])
def test_real_firmware_and_default_event_fit_each_embedded_board(board, image, capsys):
    out_dir = build(board, targets=("server",))
    rc, out, err = run_cli(capsys, out_dir / "server.elf", "--image", image, "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["fits"] and rep["plan"]["ub"] == 128
    regions = {r["region"]: r for r in rep["regions"]}
    code_region = "FLASH" if load_board(board).platform == "stm32" else "L2"
    assert regions[code_region]["rows"]["code"] > 10000  # the command server's code
    lr_l3 = sum(a["size"] for a in rep["plan"]["allocations"] if a["name"] in ("lr.latents", "lr.labels"))
    assert regions["L2"]["rows"]["stack"] > 0 and regions["L3"]["rows"]["lr"] == lr_l3 > 0


def test_a_network_is_planned_as_its_image_is(tmp_path, capsys):
    """--model plans a network before it is packed: the same allocations (level, name, size) as the
    image `qlr image pack` writes for it (per-channel weights, no LR memory), the image itself in L3
    included."""
    net = sample_network(2)
    save_network(net, tmp_path / "net.npz")
    front, back = net.fold_batchnorm().split(SAMPLE_LR_LAYER)
    x = np.random.default_rng(3).integers(0, 256, (8,) + net.input_shape, dtype=np.uint8)
    write_image(tmp_path / "img.qlr", build_content(quantize_front_end(front, x), back))
    plans = {}
    for what in (["--image", tmp_path / "img.qlr"], ["--model", tmp_path / "net.npz", "--lr-layer", SAMPLE_LR_LAYER]):
        rc, out, err = run_cli(capsys, "--board", "qemu-rv32", *what, "--n-lr", 6, "--q-lr", 7, "--n-new", 5, "--json")
        assert rc == 0, err
        plan = json.loads(out)["plan"]
        plans[what[0]] = sorted((a["level"], a["name"], a["size"]) for a in plan["allocations"])
    names = {a[1] for a in plans["--model"]}
    assert plans["--model"] == plans["--image"] and "image" in names and "lr.latents" in names
    rc, _, err = run_cli(capsys, "--board", "qemu-rv32", "--model", tmp_path / "net.npz", "--n-lr", 6)
    assert rc == 1 and "--model needs --lr-layer, --n-lr and --q-lr" in err
    rc, _, err = run_cli(capsys, "--board", "qemu-rv32", "--model", tmp_path / "net.npz", "--lr-layer", 99,
                         "--n-lr", 6, "--q-lr", 7)
    assert rc == 1 and "--lr-layer 99" in err and len(err.strip().splitlines()) == 1
