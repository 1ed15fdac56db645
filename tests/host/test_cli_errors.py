"""Bad command lines end in one clear line and lose nothing (issue 12): outputs into a folder
that does not exist are refused before any work, an image packed onto a folder leaves no
temporary file, and a firmware of another ISA is refused before an emulator starts."""

from __future__ import annotations

import numpy as np
import pytest

from qlr.boards.registry import load_board
from qlr.boards.runner import check_elf_machine
from qlr.cli import main
from qlr.errors import QlrError
from qlr.image import DataBatch, ImageContent, write_image


@pytest.mark.parametrize("argv", [
    ["learn", "--board", "golden", "--record", "{d}/no/such/run.json"],
    ["learn", "--board", "golden", "--plot", "{d}/no/acc.png"],
    ["experiment", "--quick", "--out", "{d}/no/x.json"],
    ["data", "imu", "--out", "{d}/no/imu.npz"],
    ["link", "--board", "host", "read", "L2", "0", "16", "-o", "{d}/no/x.bin"],
])
def test_outputs_into_a_missing_folder_are_refused_before_any_work(tmp_path, capsys, argv):
    argv = [a.format(d=tmp_path) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as e:  # a subcommand whose other arguments argparse refuses first
        pytest.skip(f"argparse refused {argv} ({e})")
    err = capsys.readouterr().err
    assert rc == 1 and f"the folder {tmp_path / 'no'}" in err and "does not exist" in err, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_image_onto_a_folder_is_refused_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "imgdir"
    out.mkdir()
    content = ImageContent(batches={0: DataBatch(np.zeros((2, 4, 4, 1), np.uint8), np.array([0, 1]))})
    with pytest.raises(QlrError, match="is a folder"):
        write_image(out, content)
    write_image(tmp_path / "ok.qlr", content)  # a file name works
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgdir", "ok.qlr"]  # no .tmp left anywhere


def test_an_elf_of_another_isa_or_no_elf_is_refused(tmp_path):
    rv = load_board("qemu-rv32")
    arm = bytearray(20)
    arm[:4], arm[4], arm[5], arm[18] = b"\x7fELF", 1, 1, 40
    (tmp_path / "arm.elf").write_bytes(bytes(arm))
    with pytest.raises(QlrError, match="is a ARM ELF; board qemu-rv32 runs RISC-V firmware"):
        check_elf_machine(rv, tmp_path / "arm.elf")
    (tmp_path / "text.elf").write_text("not an elf at all")
    with pytest.raises(QlrError, match="is not an ELF file"):
        check_elf_machine(rv, tmp_path / "text.elf")
    arm[18] = 243
    (tmp_path / "rv.elf").write_bytes(bytes(arm))
    check_elf_machine(rv, tmp_path / "rv.elf")  # the right ISA passes
    with pytest.raises(QlrError, match="is a RISC-V ELF; board qemu-m4 runs ARM"):
        check_elf_machine(load_board("qemu-m4"), tmp_path / "rv.elf")


def test_qlr_run_refuses_another_isa_before_starting_qemu(tmp_path, capsys):
    arm = bytearray(64)
    arm[:4], arm[4], arm[5], arm[18] = b"\x7fELF", 1, 1, 40
    (tmp_path / "arm.elf").write_bytes(bytes(arm))
    assert main(["run", "--board", "qemu-rv32", str(tmp_path / "arm.elf")]) == 1
    err = capsys.readouterr().err
    assert "is a ARM ELF; board qemu-rv32 runs RISC-V firmware" in err and "Traceback" not in err
