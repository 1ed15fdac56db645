/*
 * PULP Xpulpv2 instructions (RI5CY, the cluster cores of pulp-open) for the pulp variants of the
 * kernels: one header per extension, each instruction an inline function over `.insn` with the
 * encoding GVSoC decodes (core/models/cpu/iss/isa_gen/isa_pulpv2.py, the RI5CY manual's), and a
 * macro with the same instruction as assembler text for hand-written loops:
 *
 *   qlr/pulp/xpulp_vect.h     SIMD dot products on 4 bytes (pv.sdotusp.b, pv.sdotsp.b, pv.sdotup.b)
 *   qlr/pulp/xpulp_postmod.h  loads and stores with post-increment (p.lw/p.lbu/p.sw/p.sb rd, imm(rs1!))
 *   qlr/pulp/xpulp_hwloop.h   zero-overhead hardware loops (lp.setup, lp.setupi)
 *   qlr/pulp/xpulp_mac.h      multiply-accumulate and clip (p.mac, p.clip, p.clipu, p.clipi, p.clipui)
 *
 * clang-19 knows none of them (LLVM's xcv* extensions are CV32E40Pv2, with other encodings):
 * `.insn` emits the 32-bit word, so `objdump -d` shows `.4byte`. Every instruction is checked
 * on GVSoC against its C meaning by isacheck.elf (firmware/app/isacheck/, tests/board/
 * test_isacheck.py). Only for a build that defines QLR_ISA_XPULPV2 (boards/pulp-open.toml);
 * portable C stays the reference path everywhere else.
 */
#ifndef QLR_PULP_XPULP_H
#define QLR_PULP_XPULP_H

#if !defined(QLR_ISA_XPULPV2) || !defined(__riscv)
#error "qlr/pulp/*.h: Xpulpv2 instructions, only for a RISC-V board that defines QLR_ISA_XPULPV2"
#endif

#include <stdint.h>

#define QLR_XPULP_INLINE static inline __attribute__((always_inline))

/* Major opcodes of the extensions (bits 6..0). */
#define QLR_XPULP_OP_LOAD_POST "0x0b"  /* custom-0: p.lbu/p.lw ..., imm(rs1!) */
#define QLR_XPULP_OP_STORE_POST "0x2b" /* custom-1: p.sb/p.sw ..., imm(rs1!) */
#define QLR_XPULP_OP_VECT "0x57"       /* pv.* */
#define QLR_XPULP_OP_ALU "0x33"        /* OP with the PULP funct7s: p.mac, p.clip* */
#define QLR_XPULP_OP_HWLOOP "0x7b"     /* custom-3: lp.* */

#endif /* QLR_PULP_XPULP_H */
