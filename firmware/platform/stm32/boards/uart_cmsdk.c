/* The link on the MPS2's CMSDK APB UART0 (QEMU's first -serial). */
#include "qlr_board_config.h"
#include "../stm32_platform.h"

#define UART0 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0 + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0 + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0 + 0x08u))
#define UART_INTSTATUS (*(volatile uint32_t *)(UART0 + 0x0Cu))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0 + 0x10u))
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define CTRL_RX_INT 0x8u
#define INT_RX 0x2u
#define UART0_RX_IRQ 0u
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u

#ifndef QLR_COUNTER_SCALE
#define QLR_COUNTER_SCALE 1u
#endif

static int g_uart_on;

static void uart_on(void)
{
    if (!g_uart_on) {
        UART_BAUDDIV = QLR_CLOCK_HZ / 115200u;
        UART_CTRL = 0x3u | CTRL_RX_INT; /* TX and RX enable, interrupt on receive */
        NVIC_ISER0 = 1u << UART0_RX_IRQ;
        g_uart_on = 1;
    }
}

void qlr_irq0_handler(void);
void qlr_irq0_handler(void) { UART_INTSTATUS = INT_RX; }

/* Waiting sleeps in `wfi` (never spins under -icount): with PRIMASK set, a pending interrupt
 * (a received byte, or SysTick's wrap every 2^24 ticks, which bounds the timeout's
 * granularity) still wakes the core, and the check-then-sleep cannot miss a byte. */
int qlr_stm32_uart_read(uint8_t *buf, size_t max, int timeout_ms)
{
    uart_on();
    if (max == 0)
        return 0;
    uint64_t deadline = qlr_stm32_ticks() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * (QLR_CLOCK_HZ / 1000u);
    __asm__ volatile("cpsid i" ::: "memory");
    while (!(UART_STATE & STATE_RX_FULL)) {
        if (timeout_ms >= 0 && qlr_stm32_ticks() >= deadline)
            break;
        __asm__ volatile("wfi\n cpsie i\n isb\n cpsid i" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
    size_t n = 0;
    while (n < max && (UART_STATE & STATE_RX_FULL))
        buf[n++] = (uint8_t)UART_DATA;
    return (int)n;
}

void qlr_stm32_uart_write(const uint8_t *buf, size_t len)
{
    uart_on();
    for (size_t i = 0; i < len; i++) {
        while (UART_STATE & STATE_TX_FULL)
            ;
        UART_DATA = buf[i];
    }
}
