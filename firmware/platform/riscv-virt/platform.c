/*
 * QEMU riscv32 virt: memory levels, counter, console, link UART, exit.
 * Console and exit go through semihosting (QEMU's stdout and exit status); the link is the
 * NS16550A UART at 0x10000000 (QEMU's first -serial). mcycle counts executed instructions
 * under -icount shift=0 (all harts together); the CLINT's mtime (10 MHz of virtual time) paces
 * the link's timeouts.
 */
#include <string.h>

#include "qlr/runtime.h"
#include "../../runtime/platform_hooks.h"
#include "qlr_board_config.h"
#include "rv_platform.h"
#include "semihost.h"

#define UART_BASE ((volatile uint8_t *)0x10000000u)
#define UART_RBR 0
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u
#define CLINT_MTIME_LO ((volatile uint32_t *)0x0200BFF8u)
#define CLINT_MTIME_HI ((volatile uint32_t *)0x0200BFFCu)
#define MTIME_HZ 10000000u


uint8_t *qlr_platform_l3_base(void) { return (uint8_t *)QLR_L3_BASE; }
size_t qlr_platform_l3_size(void) { return QLR_L3_SIZE; }

uint64_t qlr_counter(void)
{
    uint32_t hi, lo, hi2;
    do { /* NOLINT(bugprone-infinite-loop): the csrr statements below write hi, lo and hi2 */
        __asm__ volatile("csrr %0, mcycleh" : "=r"(hi));
        __asm__ volatile("csrr %0, mcycle" : "=r"(lo));
        __asm__ volatile("csrr %0, mcycleh" : "=r"(hi2));
    } while (hi != hi2);
    return (uint64_t)hi << 32 | lo;
}

const char *qlr_counter_unit(void) { return QLR_COUNTER_UNIT; }

static uint64_t mtime(void)
{
    uint32_t hi, lo;
    do {
        hi = *CLINT_MTIME_HI;
        lo = *CLINT_MTIME_LO;
    } while (hi != *CLINT_MTIME_HI);
    return (uint64_t)hi << 32 | lo;
}

void qlr_console_write(const char *s, size_t n) { semihost_write_text(s, n); }

/* Waiting for the link sleeps in `wfi` (never spins: under -icount a spinning hart burns
 * instructions, and virtual time with them). The UART's receive interrupt reaches hart 0
 * through the PLIC, the timeout through mtimecmp; both only wake `wfi`: mstatus.MIE stays 0,
 * so no trap is taken, and they are enabled in `mie` only while the link is being read. */
#define PLIC_BASE 0x0C000000u
#define PLIC_PRIORITY(src) (*(volatile uint32_t *)(PLIC_BASE + 4u * (src)))
#define PLIC_ENABLE_CTX0 (*(volatile uint32_t *)(PLIC_BASE + 0x2000u))
#define PLIC_THRESHOLD_CTX0 (*(volatile uint32_t *)(PLIC_BASE + 0x200000u))
#define PLIC_CLAIM_CTX0 (*(volatile uint32_t *)(PLIC_BASE + 0x200004u))
#define UART_IRQ 10u
#define UART_IER 1
#define CLINT_MTIMECMP_LO ((volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI ((volatile uint32_t *)0x02004004u)
#define MIE_MTIE (1u << 7)
#define MIE_MEIE (1u << 11)

static void set_mtimecmp(uint64_t t)
{
    *CLINT_MTIMECMP_HI = 0xFFFFFFFFu; /* no spurious match while the halves change */
    *CLINT_MTIMECMP_LO = (uint32_t)t;
    *CLINT_MTIMECMP_HI = (uint32_t)(t >> 32);
}

int qlr_link_read(void *buf, size_t max, int timeout_ms)
{
    static int irq_ready;
    uint8_t *out = (uint8_t *)buf;
    if (max == 0)
        return 0;
    if (!irq_ready) {
        PLIC_PRIORITY(UART_IRQ) = 1;
        PLIC_ENABLE_CTX0 |= 1u << UART_IRQ;
        PLIC_THRESHOLD_CTX0 = 0;
        UART_BASE[UART_IER] = 0x01; /* interrupt when received data is available */
        irq_ready = 1;
    }
    uint64_t deadline = mtime() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * (MTIME_HZ / 1000u);
    int timed_out = 0;
    if (!(UART_BASE[UART_LSR] & UART_LSR_DR)) {
        if (timeout_ms >= 0) {
            set_mtimecmp(deadline);
            __asm__ volatile("csrs mie, %0" ::"r"(MIE_MTIE));
        }
        __asm__ volatile("csrs mie, %0" ::"r"(MIE_MEIE));
        while (!(UART_BASE[UART_LSR] & UART_LSR_DR)) {
            if (timeout_ms >= 0 && mtime() >= deadline) {
                timed_out = 1;
                break;
            }
            __asm__ volatile("wfi");
            uint32_t id = PLIC_CLAIM_CTX0; /* acknowledge, so the next wfi waits again */
            if (id)
                PLIC_CLAIM_CTX0 = id;
        }
        __asm__ volatile("csrc mie, %0" ::"r"(MIE_MTIE | MIE_MEIE));
        set_mtimecmp(UINT64_MAX);
    }
    if (timed_out)
        return 0;
    size_t n = 0;
    while (n < max && (UART_BASE[UART_LSR] & UART_LSR_DR))
        out[n++] = UART_BASE[UART_RBR];
    return (int)n;
}

void qlr_link_write(const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;
    for (size_t i = 0; i < len; i++) {
        while (!(UART_BASE[UART_LSR] & UART_LSR_THRE))
            ;
        UART_BASE[UART_THR] = p[i];
    }
}

void qlr_exit(int status)
{
    uint32_t block[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;)
        __asm__ volatile("wfi");
}

void qlr_rv_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    qlr_printf("qlr-fatal: exception on hart %u: mcause %lu mepc 0x%08lx mtval 0x%08lx\n", h,
               (unsigned long)mcause, (unsigned long)mepc, (unsigned long)mtval);
    qlr_exit(3);
}

void qlr_rv_controller_main(const void *fdt)
{
    unsigned harts = qlr_fdt_count_cpus(fdt);
    if (harts >= 2)
        qlr_rv_team_init(harts - 1);
    qlr_exit(qlr_app_main());
}
