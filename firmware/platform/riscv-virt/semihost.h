/* RISC-V semihosting (the standard sequence QEMU and GVSoC recognise). */
#ifndef QLR_RISCV_SEMIHOST_H
#define QLR_RISCV_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026

/* The three instructions must be uncompressed and in one page: keep them in one aligned
 * non-inlined function. */
__attribute__((noinline, aligned(16))) static long semihost_call(long op, void *arg)
{
    register long a0 __asm__("a0") = op;
    register void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n .option norvc\n"
                     "slli zero, zero, 0x1f\n"
                     "ebreak\n"
                     "srai zero, zero, 7\n"
                     ".option pop\n"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
}

/* Writes n bytes of text to the simulator's stdout (SYS_WRITE0 takes NUL-terminated text). */
static inline void semihost_write_text(const char *s, size_t n)
{
    char buf[128];
    while (n > 0) {
        size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
        memcpy(buf, s, k);
        buf[k] = 0;
        semihost_call(SEMIHOST_SYS_WRITE0, buf);
        s += k;
        n -= k;
    }
}

#endif
