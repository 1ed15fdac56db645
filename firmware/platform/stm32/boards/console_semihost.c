/* Console through ARM semihosting (QEMU prints it on its stdout). */
#include <string.h>

#include "../../../runtime/platform_hooks.h"

#define SEMIHOST_SYS_WRITE0 0x04

void qlr_console_write(const char *s, size_t n)
{
    char buf[128];
    while (n > 0) {
        size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
        memcpy(buf, s, k);
        buf[k] = 0;
        register uint32_t r0 __asm__("r0") = SEMIHOST_SYS_WRITE0;
        register char *r1 __asm__("r1") = buf;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
        s += k;
        n -= k;
    }
}
