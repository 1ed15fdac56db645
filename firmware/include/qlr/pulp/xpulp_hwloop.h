/*
 * Xpulpv2 zero-overhead hardware loops (qlr/pulp/xpulp.h). Two loops (L = 0 inner, 1 outer),
 * each a start, an end and a count; the core jumps from the END instruction (the last one of
 * the body, included) back to the start, count - 1 times, at no cost:
 *
 *   lp.setup  L, rs1, uimm12   start = pc + 4, end = pc + 2 * uimm12, count = rs1
 *                              I-type, opcode 0x7b (custom-3), funct3 100, rd = L
 *   lp.setupi L, uimm12, uimm5 start = pc + 4, end = pc + 2 * uimm5, count = uimm12
 *                              funct3 101, the rs1 field holding uimm5
 *
 * A loop is a whole asm statement, since the compiler must not put anything inside the body:
 *
 *     __asm__ volatile(QLR_XPULP_LOOP(0, "%[n]", 3)   // 3 instructions follow, run n times
 *                      "insn 1\n" "insn 2\n" "insn 3\n"
 *                      QLR_XPULP_LOOP_END : ...);
 *
 * QLR_XPULP_LOOP turns compressed instructions off (.option norvc) until QLR_XPULP_LOOP_END,
 * so the body is `insns` 4-byte instructions and its end is known without labels (clang does
 * not resolve label differences in .insn). The count must be >= 1: the body runs once with a
 * count of 0 (guard it). The end instruction must not be a branch, a jump or another loop's end
 * (RI5CY's rules; GVSoC does not check them).
 */
#ifndef QLR_PULP_XPULP_HWLOOP_H
#define QLR_PULP_XPULP_HWLOOP_H

#include "qlr/pulp/xpulp.h"

/* lp.setup: loop `loop` (0 or 1, a literal) over the next `insns` (a literal) instructions,
 * `count` (a register: "%[n]", "a0") times. */
#if !defined(QLR_FAULT_XPULP)
#define QLR_XPULP_LOOP(loop, count, insns)                                                                              \
    ".option push\n.option norvc\n.insn i 0x7b, 4, x" #loop ", " count ", 2 * " #insns "\n"
#else /* scons fault=xpulp: the loop ends one instruction early (isacheck must fail) */
#define QLR_XPULP_LOOP(loop, count, insns)                                                                              \
    ".option push\n.option norvc\n.insn i 0x7b, 4, x" #loop ", " count ", 2 * " #insns " - 2\n"
#endif

/* lp.setupi: the same with a constant count (1..4095) over at most 15 instructions. */
#define QLR_XPULP_LOOPI(loop, count, insns)                                                                             \
    ".option push\n.option norvc\n.insn i 0x7b, 5, x" #loop ", x" QLR_XPULP_LOOPI_END_(QLR_XPULP_TWICE_##insns)      \
    ", " #count "\n"

#define QLR_XPULP_LOOP_END ".option pop\n"

/* uimm5 of lp.setupi = 2 * insns, spelled as the register number .insn i takes for rs1 */
#define QLR_XPULP_LOOPI_END_(x) QLR_XPULP_LOOPI_STR_(x)
#define QLR_XPULP_LOOPI_STR_(x) #x
#define QLR_XPULP_TWICE_1 2
#define QLR_XPULP_TWICE_2 4
#define QLR_XPULP_TWICE_3 6
#define QLR_XPULP_TWICE_4 8
#define QLR_XPULP_TWICE_5 10
#define QLR_XPULP_TWICE_6 12
#define QLR_XPULP_TWICE_7 14
#define QLR_XPULP_TWICE_8 16
#define QLR_XPULP_TWICE_9 18
#define QLR_XPULP_TWICE_10 20
#define QLR_XPULP_TWICE_11 22
#define QLR_XPULP_TWICE_12 24
#define QLR_XPULP_TWICE_13 26
#define QLR_XPULP_TWICE_14 28
#define QLR_XPULP_TWICE_15 30

#endif /* QLR_PULP_XPULP_HWLOOP_H */
