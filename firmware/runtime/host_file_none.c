/* The host file channel of qlr/runtime.h where a board has none (real boards, the host board,
 * whose link is a fast pipe anyway): MEM_LOAD and MEM_STORE answer E_UNSUPPORTED and the host
 * sends the bytes over the link. Weak: a platform with a channel (semihosting on the emulators:
 * platform/{riscv-virt,pulp}/host_file.c, platform/stm32/boards/host_file_semihost.c) defines
 * the strong ones. */
#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"

__attribute__((weak)) int qlr_host_file_open(const char *name, uint32_t pos)
{
    (void)name;
    (void)pos;
    return -1;
}

__attribute__((weak)) long qlr_host_file_read(int handle, void *dst, size_t n)
{
    (void)handle;
    (void)dst;
    (void)n;
    return -1L;
}

__attribute__((weak)) int qlr_host_file_create(const char *name)
{
    (void)name;
    return -1;
}

__attribute__((weak)) int qlr_host_file_write(int handle, const void *src, size_t n)
{
    (void)handle;
    (void)src;
    (void)n;
    return -1;
}

__attribute__((weak)) void qlr_host_file_close(int handle) { (void)handle; }
