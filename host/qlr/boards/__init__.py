"""Boards: their descriptions (boards/*.toml), builds and runners."""

from qlr.boards.registry import Board, MemoryRegion, board_names, load_board

__all__ = ["Board", "MemoryRegion", "board_names", "load_board"]
