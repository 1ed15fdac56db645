"""`qlr bench`: kernel throughput on a board for the paper's layer shapes.

- `qlr.bench.layers`: the fixed, documented set of shapes (MobileNet-V1 @ 128, layers 19..26 and
  the linear head) and the passes (fw, bw_input, bw_weight).
- `qlr.bench.run`: choosing the op per board (tiled or not), slicing what does not fit the L2
  window, filling inputs on the device and timing every core count.
- `qlr.bench.report`: the table, JSON and plot.
- `qlr.bench.cli`: the command.
"""
