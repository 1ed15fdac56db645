/* The host file channel of qlr/runtime.h through ARM semihosting (QEMU's -semihosting-config
 * enable=on,target=native), relative to the emulator's working directory. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qlr/runtime.h"

#define SEMIHOST_SYS_OPEN 0x01
#define SEMIHOST_SYS_CLOSE 0x02
#define SEMIHOST_SYS_WRITE 0x05
#define SEMIHOST_SYS_READ 0x06
#define SEMIHOST_SYS_SEEK 0x0A

static int32_t semihost(uint32_t op, void *args)
{
    register uint32_t r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

int qlr_host_file_open(const char *name, uint32_t pos)
{
    uint32_t open_args[3] = {(uint32_t)(uintptr_t)name, 1u /* "rb" */, (uint32_t)strlen(name)};
    int32_t fd = semihost(SEMIHOST_SYS_OPEN, open_args);
    if (fd < 0) {
        return -2;
    }
    uint32_t seek_args[2] = {(uint32_t)fd, pos};
    if (pos != 0u && semihost(SEMIHOST_SYS_SEEK, seek_args) != 0) {
        qlr_host_file_close(fd);
        return -2;
    }
    return fd;
}

/* SYS_READ returns the bytes NOT read. */
long qlr_host_file_read(int handle, void *dst, size_t n)
{
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)dst, (uint32_t)n};
    int32_t left = semihost(SEMIHOST_SYS_READ, args);
    return left < 0 || (size_t)left > n ? -1L : (long)(n - (size_t)left);
}

int qlr_host_file_create(const char *name)
{
    uint32_t open_args[3] = {(uint32_t)(uintptr_t)name, 5u /* "wb" */, (uint32_t)strlen(name)};
    int32_t fd = semihost(SEMIHOST_SYS_OPEN, open_args);
    return fd < 0 ? -2 : fd;
}

/* SYS_WRITE returns the bytes NOT written. */
int qlr_host_file_write(int handle, const void *src, size_t n)
{
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)src, (uint32_t)n};
    return semihost(SEMIHOST_SYS_WRITE, args) == 0 ? 0 : -1;
}

void qlr_host_file_close(int handle)
{
    uint32_t args[1] = {(uint32_t)handle};
    (void)semihost(SEMIHOST_SYS_CLOSE, args);
}
