/* The host file channel of qlr/runtime.h on this emulator: RISC-V semihosting (QEMU with
 * -semihosting-config enable=on,target=native, GVSoC), relative to its working directory. */
#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"
#include "semihost.h"

int qlr_host_file_open(const char *name, uint32_t pos) { return semihost_file_open(name, pos); }

long qlr_host_file_read(int handle, void *dst, size_t n) { return semihost_file_read(handle, dst, n); }

int qlr_host_file_create(const char *name) { return semihost_file_create(name); }

int qlr_host_file_write(int handle, const void *src, size_t n) { return semihost_file_write(handle, src, n); }

void qlr_host_file_close(int handle) { semihost_file_close(handle); }
