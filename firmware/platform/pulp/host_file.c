/* The host file channel of qlr/runtime.h on GVSoC's semihosting, relative to its working
 * directory. GVSoC differs from the standard in two calls: 0x03 closes the descriptor passed in
 * a1 itself (0x02 reads a character of its stdin), and an open that fails is a warning that
 * ends the simulation when warnings are errors: the host only names files it has written. */
#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"
#include "../riscv-virt/semihost.h"

#define GVSOC_SEMIHOST_CLOSE 0x03

int qlr_host_file_open(const char *name, uint32_t pos) { return semihost_file_open(name, pos); }

long qlr_host_file_read(int handle, void *dst, size_t n) { return semihost_file_read(handle, dst, n); }

int qlr_host_file_create(const char *name) { return semihost_file_create(name); }

int qlr_host_file_write(int handle, const void *src, size_t n) { return semihost_file_write(handle, src, n); }

void qlr_host_file_close(int handle) { (void)semihost_call(GVSOC_SEMIHOST_CLOSE, (void *)(intptr_t)handle); }
