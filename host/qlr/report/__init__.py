"""Reports on firmware and runs: memory use per region (`qlr memreport`).

Public API::

    read_firmware(elf_path, board) -> FirmwareMemory     what the ELF places in each region
    board_for_elf(elf_path, explicit=None) -> (name, how) which board an ELF was built for
    memory_report(board, firmware=None, plan=None) -> MemoryReport
    MemoryReport.format() -> str; .to_dict(); .fits(); .failure() -> str | None
"""

from qlr.report.elf import FirmwareMemory, Piece, board_for_elf, read_firmware, windows_from_elf
from qlr.report.memory import MemoryReport, RegionUsage, memory_report

__all__ = [
    "FirmwareMemory", "MemoryReport", "Piece", "RegionUsage", "board_for_elf", "memory_report",
    "read_firmware", "windows_from_elf",
]
