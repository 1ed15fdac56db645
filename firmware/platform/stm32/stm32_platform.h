/* Internal interfaces of the Cortex-M platform: what each board file provides. */
#ifndef QLR_STM32_PLATFORM_H
#define QLR_STM32_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

void qlr_stm32_board_init(void);                       /* clocks, pins, UART */
void qlr_stm32_board_exit(int status) __attribute__((noreturn));
uint64_t qlr_stm32_ticks(void);                        /* SysTick ticks since boot */
int qlr_stm32_uart_read(uint8_t *buf, size_t max, int timeout_ms);
void qlr_stm32_uart_write(const uint8_t *buf, size_t len);

#endif
