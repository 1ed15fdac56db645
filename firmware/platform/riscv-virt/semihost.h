/* RISC-V semihosting (the standard sequence QEMU and GVSoC recognise). */
#ifndef QLR_RISCV_SEMIHOST_H
#define QLR_RISCV_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SEMIHOST_SYS_OPEN 0x01
#define SEMIHOST_SYS_CLOSE 0x02
#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_WRITE 0x05
#define SEMIHOST_SYS_READ 0x06
#define SEMIHOST_SYS_SEEK 0x0A
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

/* qlr_host_file_open/read (qlr/runtime.h) on semihosting: SYS_OPEN "rb" then SYS_SEEK. */
void qlr_host_file_close(int handle);
static inline int semihost_file_open(const char *name, uint32_t pos)
{
    long open_args[3] = {(long)name, 1 /* "rb" */, (long)strlen(name)};
    long fd = semihost_call(SEMIHOST_SYS_OPEN, open_args);
    if (fd < 0) {
        return -2;
    }
    long seek_args[2] = {fd, (long)pos};
    if (pos != 0u && semihost_call(SEMIHOST_SYS_SEEK, seek_args) != 0) {
        qlr_host_file_close((int)fd); /* the platform's close (GVSoC's is not the standard one) */
        return -2;
    }
    return (int)fd;
}

/* SYS_READ returns the bytes NOT read: n - that is what arrived (0 at the end of the file). */
static inline long semihost_file_read(int fd, void *dst, size_t n)
{
    long args[3] = {fd, (long)dst, (long)n};
    long left = semihost_call(SEMIHOST_SYS_READ, args);
    return left < 0 || (size_t)left > n ? -1 : (long)(n - (size_t)left);
}

/* SYS_OPEN "wb": a new (or emptied) file. */
static inline int semihost_file_create(const char *name)
{
    long open_args[3] = {(long)name, 5 /* "wb" */, (long)strlen(name)};
    long fd = semihost_call(SEMIHOST_SYS_OPEN, open_args);
    return fd < 0 ? -2 : (int)fd;
}

/* SYS_WRITE returns the bytes NOT written. */
static inline int semihost_file_write(int fd, const void *src, size_t n)
{
    long args[3] = {fd, (long)src, (long)n};
    return semihost_call(SEMIHOST_SYS_WRITE, args) == 0 ? 0 : -1;
}

static inline void semihost_file_close(int fd)
{
    long args[1] = {fd};
    semihost_call(SEMIHOST_SYS_CLOSE, args);
}

#endif
