/*
 * A minimal stand-in for the runtime, for testing the command server (firmware/app/server.c)
 * before and beside the real host board: the link is stdin/stdout, the console stderr, L2 and L3
 * are heap buffers of odd sizes (so AddressSanitizer catches any access outside them). Built
 * only by tests/host/test_link_server.py; the real host platform lives in firmware/platform/.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlr/runtime.h"

#define STUB_L2_SIZE 65539u  /* 64 KiB + 3 */
#define STUB_L3_SIZE 262149u /* 256 KiB + 5 */

static uint8_t *l2, *l3;

qlr_mem_region_t qlr_mem_region(qlr_mem_level_t level)
{
    qlr_mem_region_t r = {0, 0};
    if (level == QLR_MEM_L2) {
        r.base = (uintptr_t)l2;
        r.size = STUB_L2_SIZE;
    } else if (level == QLR_MEM_L3) {
        r.size = STUB_L3_SIZE;
    }
    return r;
}

int qlr_l3_read(void *dst, uint32_t off, size_t bytes)
{
    if (off > STUB_L3_SIZE || bytes > STUB_L3_SIZE - off) {
        return -1;
    }
    memcpy(dst, l3 + off, bytes);
    return 0;
}

int qlr_l3_write(uint32_t off, const void *src, size_t bytes)
{
    if (off > STUB_L3_SIZE || bytes > STUB_L3_SIZE - off) {
        return -1;
    }
    memcpy(l3 + off, src, bytes);
    return 0;
}

uint64_t qlr_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *qlr_counter_unit(void)
{
    return "ns";
}

int qlr_vprintf(const char *fmt, va_list ap)
{
    return vfprintf(stderr, fmt, ap);
}

int qlr_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = qlr_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int qlr_link_read(void *buf, size_t max, int timeout_ms)
{
    struct pollfd pfd = {0, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r == 0) {
        return 0;
    }
    ssize_t n = read(0, buf, max);
    return n > 0 ? (int)n : -1;
}

void qlr_link_write(const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;
    while (len > 0u) {
        ssize_t n = write(1, p, len);
        if (n <= 0) {
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

void qlr_exit(int status)
{
    free(l2);
    free(l3);
    exit(status);
}

void qlr_board_info(qlr_board_info_t *info)
{
    info->board = "stub";
    info->platform = "test-stub";
    info->team_max = 1;
    info->l1_size = 0;
    info->l2_size = STUB_L2_SIZE;
    info->l3_size = STUB_L3_SIZE;
}

int main(void)
{
    l2 = calloc(STUB_L2_SIZE, 1);
    l3 = calloc(STUB_L3_SIZE, 1);
    if (l2 == NULL || l3 == NULL) {
        return 99;
    }
    int status = qlr_app_main();
    qlr_exit(status);
}
