/*
 * Xpulpv2 SIMD dot products on 4 bytes (qlr/pulp/xpulp.h): acc + sum_i a[i] * b[i] over the 4
 * bytes of each operand (byte 0 = bits 7..0), modulo 2^32, in one instruction:
 *
 *   pv.sdotusp.b rd, rs1, rs2   a unsigned, b signed     (uint8 activations x int8 weights)
 *   pv.sdotsp.b  rd, rs1, rs2   both signed
 *   pv.sdotup.b  rd, rs1, rs2   both unsigned
 *
 * Encoding (R-type, opcode 0x57 OP-V space, funct3 001 = bytes): funct7 1010100 (sdotusp),
 * 1011100 (sdotsp), 1010000 (sdotup); rd is read and written.
 */
#ifndef QLR_PULP_XPULP_VECT_H
#define QLR_PULP_XPULP_VECT_H

#include "qlr/pulp/xpulp.h"

/* Assembler text of each instruction (operands: register names or %[operands]). */
#if !defined(QLR_FAULT_XPULP)
#define QLR_XPULP_SDOTUSP_B(rd, rs1, rs2) ".insn r 0x57, 1, 0x54, " rd ", " rs1 ", " rs2 "\n"
#else /* scons fault=xpulp: the signed-signed encoding (isacheck must fail) */
#define QLR_XPULP_SDOTUSP_B(rd, rs1, rs2) ".insn r 0x57, 1, 0x5c, " rd ", " rs1 ", " rs2 "\n"
#endif
#define QLR_XPULP_SDOTSP_B(rd, rs1, rs2) ".insn r 0x57, 1, 0x5c, " rd ", " rs1 ", " rs2 "\n"
#define QLR_XPULP_SDOTUP_B(rd, rs1, rs2) ".insn r 0x57, 1, 0x50, " rd ", " rs1 ", " rs2 "\n"

/* acc + dot(bytes of a as uint8, bytes of b as int8) */
QLR_XPULP_INLINE uint32_t qlr_xpulp_sdotusp_b(uint32_t acc, uint32_t a, uint32_t b)
{
    __asm__(QLR_XPULP_SDOTUSP_B("%0", "%1", "%2") : "+r"(acc) : "r"(a), "r"(b));
    return acc;
}

/* acc + dot(bytes of a as int8, bytes of b as int8) */
QLR_XPULP_INLINE uint32_t qlr_xpulp_sdotsp_b(uint32_t acc, uint32_t a, uint32_t b)
{
    __asm__(QLR_XPULP_SDOTSP_B("%0", "%1", "%2") : "+r"(acc) : "r"(a), "r"(b));
    return acc;
}

/* acc + dot(bytes of a as uint8, bytes of b as uint8) */
QLR_XPULP_INLINE uint32_t qlr_xpulp_sdotup_b(uint32_t acc, uint32_t a, uint32_t b)
{
    __asm__(QLR_XPULP_SDOTUP_B("%0", "%1", "%2") : "+r"(acc) : "r"(a), "r"(b));
    return acc;
}

#endif /* QLR_PULP_XPULP_VECT_H */
