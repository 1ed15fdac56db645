/* Cortex-M4F reset and exceptions: copy .data, clear .bss, turn the FPU on, start SysTick as
 * a 64-bit counter, run the application. Faults print one parsable line and exit non-zero. */
#include <stdint.h>
#include <string.h>

#include "qlr/runtime.h"
#include "stm32_platform.h"

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_MAX 0x00FFFFFFu

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

void qlr_reset_handler(void);
void qlr_fault_handler(void);
void qlr_systick_handler(void);
/* IRQ 0: the board's link UART receive interrupt where it has one (MPS2: CMSDK UART0 RX). */
void qlr_irq0_handler(void) __attribute__((weak, alias("qlr_fault_handler")));

static volatile uint32_t g_systick_wraps;

void qlr_systick_handler(void) { g_systick_wraps++; }

uint64_t qlr_stm32_ticks(void)
{
    uint32_t hi, lo;
    do {
        hi = g_systick_wraps;
        lo = SYST_MAX - SYST_CVR;
    } while (hi != g_systick_wraps);
    return (uint64_t)hi * (SYST_MAX + 1u) + lo;
}

void qlr_fault_handler(void)
{
    qlr_printf("qlr-fatal: fault: CFSR 0x%08lx HFSR 0x%08lx\n", (unsigned long)SCB_CFSR,
               (unsigned long)SCB_HFSR);
    qlr_exit(3);
}

void qlr_reset_handler(void)
{
    SCB_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
    __asm__ volatile("dsb\n isb" ::: "memory");
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
    SYST_RVR = SYST_MAX;
    SYST_CVR = 0;
    SYST_CSR = 0x7u; /* processor clock, interrupt on wrap, enable */
    qlr_stm32_board_init();
    qlr_exit(qlr_app_main());
}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) static const vector_t k_vectors[17] = {
    (vector_t)__stack_top, qlr_reset_handler,
    qlr_fault_handler, /* NMI */
    qlr_fault_handler, /* HardFault */
    qlr_fault_handler, /* MemManage */
    qlr_fault_handler, /* BusFault */
    qlr_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    qlr_fault_handler, /* SVCall */
    qlr_fault_handler, /* DebugMon */
    0,
    qlr_fault_handler, /* PendSV */
    qlr_systick_handler,
    qlr_irq0_handler,
};
