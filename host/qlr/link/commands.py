"""Every command of the host-device link: code, request and reply layouts, what it does.

This module is the one description of the command payloads. The host packs requests and
unpacks replies with these layouts (`qlr.link.link`, `qlr.kernels.run`, `qlr.cl.device`); the
firmware build generates its C view from them (`qlr.codegen.commands_c` ->
`build/<board>/qlr_commands.h`: codes, sizes, a struct per payload, decoders that check the
length and the reserved bytes, encoders for the replies), so the handlers read named fields
and neither side can drift from the other; docs/commands.md is rendered from it too (a test
fails when it is out of date). Framing, sequence numbers and status codes: docs/link-protocol.md.

Integers are little-endian; offsets are relative to the L2 or L3 window the MEM_* commands
address (`qlr_mem_region`), and every range is checked against its window by the firmware.
"""

from __future__ import annotations

from qlr.link.layout import Command, Layout, f32, i32, pad, u8, u16, u32, u64

__all__ = ["COMMANDS", "BY_CODE", "BY_NAME", "KERNEL_STATUS", "Command", "Layout", "command", "kernel_status_name"]

EMPTY = Layout()
MEM_HEADER = (u8("level", "1 = L2, 2 = L3"), pad(3), u32("offset", "byte offset in the level's window"))

BASE = (
    Command(0x01, "PING", Layout(tail="any bytes (0..1024)"), Layout(tail="the same bytes"),
            "Echo: the reply payload is the request payload.", "firmware/app/base_commands.c"),
    Command(0x02, "INFO", EMPTY,
            Layout((u16("protocol", "link protocol version"), u16("max_payload", "largest payload, bytes"),
                    u32("team_max", "worker cores"), u32("l1_size", "L1 free for the application, bytes"),
                    u32("l2_size", "L2 free for the application, bytes"), u32("l3_size", "L3 size, bytes"),
                    u32("l2_window", "bytes of the L2 window of MEM_*"),
                    u32("l3_window", "bytes of the L3 window of MEM_*"), u64("counter", "qlr_counter() now"),
                    u32("boot_id", "this boot's identifier: the frame CRC of the first request served since "
                        "boot; a change means the device reset")),
                   tail="four NUL-terminated strings: board, platform, firmware version (the qlr package "
                        "version it was built from), counter unit; receivers ignore anything after them"),
            "What the firmware is and what it has. The host compares the firmware version with its own "
            "package version when a session starts.", "firmware/app/base_commands.c"),
    Command(0x03, "EXIT", Layout((i32("status", "the firmware's exit status"),)), EMPTY,
            "Reply, then end the firmware with `status`.", "firmware/app/base_commands.c"),
    Command(0x10, "MEM_WRITE", Layout(MEM_HEADER, tail="the bytes to write (0..1016)"), EMPTY,
            "Write bytes at an offset of the L2 or L3 window.", "firmware/app/base_commands.c"),
    Command(0x11, "MEM_READ", Layout(MEM_HEADER + (u32("length", "bytes to read, <= max_payload"),)),
            Layout(tail="the bytes"), "Read bytes at an offset of the L2 or L3 window.",
            "firmware/app/base_commands.c"),
    Command(0x12, "MEM_CRC", Layout(MEM_HEADER + (u32("length", "bytes, any"),)),
            Layout((u32("crc", "CRC-32 (zlib) of the range"),)),
            "CRC-32 of a range of the L2 or L3 window, computed on the device.", "firmware/app/base_commands.c"),
    Command(0x13, "MEM_LOAD",
            Layout(MEM_HEADER + (u32("length", "bytes to load, any"), u32("position", "byte position in the file")),
                   tail="the file name: 1..63 bytes of [A-Za-z0-9._-], not starting with '.'"),
            Layout((u32("crc", "CRC-32 (zlib) of the bytes loaded"),)),
            "Load `length` bytes of a file in the emulator's working directory (semihosting) into the L2 "
            "or L3 window: the bulk path of the emulators, megabytes per second instead of the serial "
            "link's kilobytes. E_UNSUPPORTED on a board without a host file channel (real boards, the "
            "host board); E_NOT_FOUND when the file cannot be opened or ends early (GVSoC ends the "
            "simulation on a semihosting open that fails: the host names only files it wrote).",
            "firmware/app/base_commands.c"),
    Command(0x14, "MEM_STORE",
            Layout(MEM_HEADER + (u32("length", "bytes to store, any"),),
                   tail="the file name: 1..63 bytes of [A-Za-z0-9._-], not starting with '.'"),
            Layout((u32("crc", "CRC-32 (zlib) of the bytes stored"),)),
            "Write `length` bytes of the L2 or L3 window to a new file (replaced if it exists) in the "
            "emulator's working directory (semihosting): the bulk read path of the emulators. "
            "E_UNSUPPORTED on a board without a host file channel; E_DEVICE when the file cannot be "
            "created or written.", "firmware/app/base_commands.c"),
    Command(0x20, "SELFTEST", Layout(tail="test name: printable ASCII without spaces, <= 63 bytes; empty = all"),
            Layout((u32("passed"), u32("failed"), u64("counter", "counter ticks of the run"))),
            "Run the runtime self-test (all of it, or one test by name).", "firmware/app/base_commands.c"),
)

KERNEL = (
    Command(0x40, "KERNEL_RUN",
            Layout((u8("name_len", "1..31"), u8("cores", "1..team_max"), u8("nparam"), u8("ntensor")),
                   tail="the op name, zero-padded to a multiple of 4; nparam x i32 parameters (f32 ones as "
                        "their bits); ntensor x (u32 L2 offset, u32 bytes), each offset 4-byte aligned"),
            Layout((u32("status", "the kernel's qlr_status_t (0 = QLR_OK)"),
                    u64("counter", "counter delta of the run alone"), u64("macs", "multiply-accumulates"))),
            "Run one op (docs/kernels.md) on tensors in the L2 window; the free L2 after the last tensor "
            "and the free L1 are its scratch. Checked in order: the counts against the payload length, "
            "the name, the counts against the op, the cores, each tensor's alignment and range, then the "
            "op's own check of every parameter and tensor size (an error names the parameter or tensor).",
            "firmware/app/kernel_commands.c"),
    Command(0x41, "KERNEL_LIST", Layout((u32("index", "0, 1, ... until E_NOT_FOUND"),)),
            Layout((u8("nparam"), u8("ntensor")),
                   tail="NUL-terminated strings: the op name, its nparam parameter names, its ntensor "
                        "tensor names, each in call order"),
            "Describe the index-th op of the firmware (its name, parameter and tensor names).",
            "firmware/app/kernel_commands.c"),
    Command(0x42, "MEM_FILL",
            Layout((u32("offset", "L2 window offset"), u32("bytes"), u32("seed", "xorshift32 seed (| 1)"),
                    u8("kind", "0 bytes, 1 f32 in [-1, 1)"), pad(3))),
            EMPTY, "Fill a range of the L2 window with a test pattern (benchmarks: no megabytes over a UART).",
            "firmware/app/kernel_commands.c"),
    Command(0x43, "L3_BENCH",
            Layout((u8("write", "0: L3 -> L2 (qlr_l3_read), 1: L2 -> L3 (qlr_l3_write)"),
                    u8("queued", "0: one synchronous call per repeat; 1: every repeat started "
                                 "asynchronously on one job, then one wait"), pad(2),
                    u32("l2_offset", "L2 window offset of the L2 side"), u32("l3_offset", "L3 window offset"),
                    u32("bytes", "bytes per transfer"), u32("repeats", "1..65536 transfers of the same range"))),
            Layout((u64("counter", "counter delta of all the repeats"),)),
            "Time L3 transfers (qlr bench --l3: L3 <-> L2 bandwidth). Both ranges are checked against their "
            "windows.", "firmware/app/kernel_commands.c"),
)

IMAGE_SUMMARY = (
    u32("sections"), u32("layers"), u32("front"), u32("back"), u32("in_h"), u32("in_w"), u32("in_c"),
    u32("latent_h"), u32("latent_w"), u32("latent_c"), u32("latent_elements"), u32("classes", "0: none"),
    u32("lr_count", "0: no LR memory"), u32("lr_bits"), u32("lr_scale_count"),
    u32("lr_code_max_count", "0: no LR_CODE_MAX"), u32("lr_row_bytes"), u32("batches"),
    u32("frontend_scratch", "bytes of scratch CL_FRONTEND needs on a full team (0: no runnable front-end)"),
    u32("size", "bytes of the image"),
)

CL = (
    Command(0x50, "CL_IMAGE_OPEN",
            Layout((u32("offset", "L2 window offset, a multiple of 64"), u32("size", "bytes"))),
            Layout(IMAGE_SUMMARY),
            "Validate the image in place (every rule of docs/image-format.md) and keep it as the current "
            "image. A rejected image: E_ARGUMENT with the reader's diagnosis naming the section, layer and "
            "field; there is then no current image.", "firmware/app/cl/image_commands.c"),
    Command(0x51, "CL_FRONTEND",
            Layout((u32("images", "L2 offset of count images, in_h*in_w*in_c u8 each"), u32("count"),
                    u32("out", "L2 offset of the output rows"), u32("scratch", "L2 offset, a multiple of 64"),
                    u32("scratch_size", "at least CL_IMAGE_OPEN's frontend_scratch"), u8("cores"),
                    u8("q_bits", "0: the u8 latent; 1..8: Q-bit codes"),
                    u8("pack", "0: one byte per code; 1: packed rows of ceil(E*Q/8) bytes"), pad(1))),
            Layout((u64("counter", "counter delta of the run"),
                    u64("prepare", "counter delta of the preparation (bias folding)"))),
            "Run the current image's front-end on count images, one output row per image. Scratch, "
            "output, images and image must not overlap.", "firmware/app/cl/image_commands.c"),
    Command(0x52, "CL_LATENT_PACK",
            Layout((u32("codes", "L2 offset of rows x elements one-byte codes"), u32("rows"), u32("elements"),
                    u32("out", "L2 offset of the packed rows"), u8("bits", "1..8"), pad(3))),
            Layout((u32("row_bytes", "ceil(elements * bits / 8)"), u64("counter"))),
            "Pack rows of one-byte codes into rows of ceil(E*Q/8) bytes (a code >= 2^bits: E_ARGUMENT "
            "naming the row).", "firmware/app/cl/image_commands.c"),
    Command(0x53, "CL_LATENT_UNPACK",
            Layout((u32("rows_at", "L2 offset of the packed rows"), u32("rows"), u32("elements"),
                    u32("out", "L2 offset of the output"), u32("first", "mode 1: first element"),
                    u32("count", "mode 1: elements per row"), u32("scales", "mode 1: L2 offset of f32 scales"),
                    u32("scale_count", "1 or channels"), u32("channels"), u8("bits", "1..8"),
                    u8("mode", "0: codes; 1: dequantized f32"), pad(2))),
            Layout((u32("row_bytes"), u64("counter"))),
            "Mode 0 unpacks every row into one-byte codes (first = count = 0; a set padding bit: "
            "E_ARGUMENT naming the row); mode 1 dequantizes elements [first, first + count) of every row "
            "to f32, float(code) * scale[element % channels].", "firmware/app/cl/image_commands.c"),
    Command(0x58, "CL_SETUP",
            Layout((u32("plan", "L3 offset of the memory plan (qlr.cl.plan, written by MEM_WRITE)"),
                    u32("plan_len", "its length, bytes (<= 8192)"),
                    f32("lr"), f32("momentum"), f32("weight_decay"),
                    u32("rng", "xoshiro128** state", count=4), u32("filled", "LR slots filled"),
                    u32("updates"), u32("events"), u32("cores"))),
            Layout((u32("elems", "latent elements E"), u32("row_bytes", "bytes of one LR row"),
                    u32("ub", "the plan's micro-batch"), u32("classes", "back-end outputs"))),
            "Start a learning session laid out by the host's memory plan (docs/cl-device.md): every "
            "buffer is bound by name from the plan, which the firmware checks against its windows and "
            "the open image. The back-end parameters and the filled LR slots come from the open image (a "
            "resumed run packs its checkpoint into the image); the host then writes the momentum "
            "buffers the plan names.", "firmware/app/cl/learn_commands.c"),
    Command(0x59, "CL_EVENT",
            Layout((u32("count", "images of the event, 1..the plan's n_new (images and labels are in "
                             "the plan's buffers)"),)),
            Layout((u32("status", "qlr_status_t of the event (non-zero: the session is dropped)"), u32("cur"),
                    u32("rep"), u32("iterations"), u32("h", "latents admitted to the LR memory"),
                    u32("iterations_run"), u32("filled"), u32("updates"), u32("events"),
                    u32("rng", count=4),
                    u64("counters", "front-end, LR load, forward, backward, update", count=5),
                    u32("micro_batches", "micro-batches run"), u64("rows_l3", "packed latent row bytes read from L3"),
                    u64("data_l3", "image bytes read from and latent row bytes written to L3"),
                    u64("params_l3_to_l2", "parameter bytes streamed L3 -> L2"),
                    u64("params_l2_to_l3", "parameter bytes streamed L2 -> L3"),
                    u32("chunks", "parameter chunks streamed"),
                    u64("tiles", "L1 tile steps of the back-end's products and depthwise passes"))),
            "One learning event (docs/cl-protocol.md).", "firmware/app/cl/learn_commands.c"),
    Command(0x5A, "CL_EVAL",
            Layout((u32("count", "test images, 1..the plan's n_eval (images, labels and predictions are "
                             "in the plan's buffers)"),)),
            Layout((u32("status"), u32("correct"), u64("front", "front-end counter"),
                    u64("back", "back-end counter"))),
            "Classify the test images with the current back-end.", "firmware/app/cl/learn_commands.c"),
)

# The values of the qlr_status_t fields (KERNEL_RUN, CL_EVENT, CL_EVAL status): the firmware's
# kernel status codes (firmware/include/qlr/status.h; a test compares the two).
KERNEL_STATUS = {0: "QLR_OK", 1: "QLR_E_ARG", 2: "QLR_E_SHAPE", 3: "QLR_E_NOMEM", 4: "QLR_E_ALIGN",
                 5: "QLR_E_UNSUPPORTED", 6: "QLR_E_SIZE"}


def kernel_status_name(status: int) -> str:
    return KERNEL_STATUS.get(status, f"status {status}")


COMMANDS: tuple[Command, ...] = BASE + KERNEL + CL
BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
BY_CODE: dict[int, Command] = {c.code: c for c in COMMANDS}
if len(BY_NAME) != len(COMMANDS) or len(BY_CODE) != len(COMMANDS):
    raise RuntimeError("qlr.link.commands: a command name or code is used twice")


def command(name: str) -> Command:
    return BY_NAME[name]
