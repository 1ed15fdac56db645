/*
 * Xpulpv2 multiply-accumulate and clip (qlr/pulp/xpulp.h), R/I-type in the OP opcode (0x33) with
 * PULP funct7s:
 *
 *   p.mac    rd, rs1, rs2   rd += rs1 * rs2 (low 32 bits)          funct7 0100001, funct3 000
 *   p.clip   rd, rs1, rs2   rs1 clamped to [-rs2 - 1, rs2]          funct7 0001010, funct3 101
 *   p.clipu  rd, rs1, rs2   rs1 clamped to [0, rs2]                 funct7 0001010, funct3 110
 *   p.clipi  rd, rs1, L     rs1 clamped to [-2^(L-1), 2^(L-1) - 1]  funct7 0001010, funct3 001
 *   p.clipui rd, rs1, L     rs1 clamped to [0, 2^(L-1) - 1]         funct7 0001010, funct3 010
 *
 * (p.clipi/p.clipui: L in 1..31 in the rs2 field; L = 9 gives [-256, 255] and [0, 255].)
 */
#ifndef QLR_PULP_XPULP_MAC_H
#define QLR_PULP_XPULP_MAC_H

#include "qlr/pulp/xpulp.h"

#define QLR_XPULP_MAC(rd, rs1, rs2) ".insn r 0x33, 0, 0x21, " rd ", " rs1 ", " rs2 "\n"
#define QLR_XPULP_CLIP(rd, rs1, rs2) ".insn r 0x33, 5, 0x0a, " rd ", " rs1 ", " rs2 "\n"
#define QLR_XPULP_CLIPU(rd, rs1, rs2) ".insn r 0x33, 6, 0x0a, " rd ", " rs1 ", " rs2 "\n"

/* acc + a * b (mod 2^32) */
QLR_XPULP_INLINE uint32_t qlr_xpulp_mac(uint32_t acc, uint32_t a, uint32_t b)
{
    __asm__(QLR_XPULP_MAC("%0", "%1", "%2") : "+r"(acc) : "r"(a), "r"(b));
    return acc;
}

/* v clamped to [-hi - 1, hi] (hi >= 0) */
QLR_XPULP_INLINE int32_t qlr_xpulp_clip(int32_t v, int32_t hi)
{
    int32_t r;
    __asm__(QLR_XPULP_CLIP("%0", "%1", "%2") : "=r"(r) : "r"(v), "r"(hi));
    return r;
}

/* v clamped to [0, hi] (hi >= 0) */
QLR_XPULP_INLINE int32_t qlr_xpulp_clipu(int32_t v, int32_t hi)
{
    int32_t r;
    __asm__(QLR_XPULP_CLIPU("%0", "%1", "%2") : "=r"(r) : "r"(v), "r"(hi));
    return r;
}

/* v clamped to [-2^(bits-1), 2^(bits-1) - 1]; bits a constant in 1..31 (I-type view of the
 * encoding: imm = funct7 << 5 | bits). */
#define qlr_xpulp_clipi(v, bits) qlr_xpulp_clipi_((v), 0x0a << 5 | (bits))
/* v clamped to [0, 2^(bits-1) - 1]; bits a constant in 1..31. */
#define qlr_xpulp_clipui(v, bits) qlr_xpulp_clipui_((v), 0x0a << 5 | (bits))

QLR_XPULP_INLINE int32_t qlr_xpulp_clipi_(int32_t v, int32_t imm)
{
    int32_t r;
    __asm__(".insn i 0x33, 1, %0, %1, %2" : "=r"(r) : "r"(v), "i"(imm));
    return r;
}

QLR_XPULP_INLINE int32_t qlr_xpulp_clipui_(int32_t v, int32_t imm)
{
    int32_t r;
    __asm__(".insn i 0x33, 2, %0, %1, %2" : "=r"(r) : "r"(v), "i"(imm));
    return r;
}

#endif /* QLR_PULP_XPULP_MAC_H */
