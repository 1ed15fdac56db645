/* Console text on top of the platform's qlr_console_write(). */
#include <stdio.h>
#include <string.h>

#include "qlr/runtime.h"
#include "../runtime/platform_hooks.h"

void qlr_putc(char c) { qlr_console_write(&c, 1); }

void qlr_puts(const char *s) { qlr_console_write(s, strlen(s)); }

int qlr_vprintf(const char *fmt, va_list ap)
{
    /* One console write per call keeps lines from different cores whole. */
    char buf[256];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return n;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    qlr_console_write(buf, len);
    return n;
}

int qlr_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = qlr_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
