/*
 * Xpulpv2 loads and stores with post-increment (qlr/pulp/xpulp.h): access memory at rs1, then
 * rs1 += imm (imm a signed 12-bit constant), in one instruction:
 *
 *   p.lw  rd, imm(rs1!)    I-type, opcode 0x0b (custom-0), funct3 010
 *   p.lbu rd, imm(rs1!)    I-type, opcode 0x0b, funct3 100
 *   p.sw  rs2, imm(rs1!)   S-type, opcode 0x2b (custom-1), funct3 010
 *   p.sb  rs2, imm(rs1!)   S-type, opcode 0x2b, funct3 000
 *
 * RI5CY (and GVSoC) accept a misaligned p.lw/p.sw, at the cost of a second access.
 */
#ifndef QLR_PULP_XPULP_POSTMOD_H
#define QLR_PULP_XPULP_POSTMOD_H

#include "qlr/pulp/xpulp.h"

/* Assembler text (imm: a constant expression). */
#define QLR_XPULP_LW_POST(rd, rs1, imm) ".insn i 0x0b, 2, " rd ", " rs1 ", " imm "\n"
#define QLR_XPULP_LBU_POST(rd, rs1, imm) ".insn i 0x0b, 4, " rd ", " rs1 ", " imm "\n"
#define QLR_XPULP_SW_POST(rs2, rs1, imm) ".insn s 0x2b, 2, " rs2 ", " imm "(" rs1 ")\n"
#define QLR_XPULP_SB_POST(rs2, rs1, imm) ".insn s 0x2b, 0, " rs2 ", " imm "(" rs1 ")\n"

/* The 4 bytes at *p (any alignment, little-endian), then *p += inc (a constant). */
#define qlr_xpulp_lw_post(p, inc) qlr_xpulp_lw_post_((const void **)(p), (inc))
/* The byte at *p zero-extended, then *p += inc (a constant). */
#define qlr_xpulp_lbu_post(p, inc) qlr_xpulp_lbu_post_((const void **)(p), (inc))
/* Stores the 4 bytes of v at *p, then *p += inc (a constant). */
#define qlr_xpulp_sw_post(p, v, inc) qlr_xpulp_sw_post_((void **)(p), (v), (inc))
/* Stores the low byte of v at *p, then *p += inc (a constant). */
#define qlr_xpulp_sb_post(p, v, inc) qlr_xpulp_sb_post_((void **)(p), (v), (inc))

/* The memory operands tell the compiler which bytes each instruction reads or writes. */
typedef struct {
    uint8_t b[4];
} qlr_xpulp_word_t;

QLR_XPULP_INLINE uint32_t qlr_xpulp_lw_post_(const void **p, int32_t inc)
{
    uint32_t v;
    const void *a = *p;
    __asm__(".insn i 0x0b, 2, %0, %1, %3" : "=r"(v), "+r"(a) : "m"(*(const qlr_xpulp_word_t *)a), "i"(inc));
    *p = a;
    return v;
}

QLR_XPULP_INLINE uint32_t qlr_xpulp_lbu_post_(const void **p, int32_t inc)
{
    uint32_t v;
    const void *a = *p;
    __asm__(".insn i 0x0b, 4, %0, %1, %3" : "=r"(v), "+r"(a) : "m"(*(const uint8_t *)a), "i"(inc));
    *p = a;
    return v;
}

QLR_XPULP_INLINE void qlr_xpulp_sw_post_(void **p, uint32_t v, int32_t inc)
{
    void *a = *p;
    __asm__(".insn s 0x2b, 2, %2, %3(%1)" : "=m"(*(qlr_xpulp_word_t *)a), "+r"(a) : "r"(v), "i"(inc));
    *p = a;
}

QLR_XPULP_INLINE void qlr_xpulp_sb_post_(void **p, uint32_t v, int32_t inc)
{
    void *a = *p;
    __asm__(".insn s 0x2b, 0, %2, %3(%1)" : "=m"(*(uint8_t *)a), "+r"(a) : "r"(v), "i"(inc));
    *p = a;
}

#endif /* QLR_PULP_XPULP_POSTMOD_H */
