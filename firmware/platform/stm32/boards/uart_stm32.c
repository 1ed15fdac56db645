/* The link (and the console) on the STM32L4's USART2. */
#include "qlr_board_config.h"
#include "../stm32_platform.h"

#define USART2_ISR (*(volatile uint32_t *)0x4000441Cu)
#define USART2_ICR (*(volatile uint32_t *)0x40004420u)
#define USART2_RDR (*(volatile uint32_t *)0x40004424u)
#define USART2_TDR (*(volatile uint32_t *)0x40004428u)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)

int qlr_stm32_uart_read(uint8_t *buf, size_t max, int timeout_ms)
{
    if (max == 0)
        return 0;
    uint64_t deadline = qlr_stm32_ticks() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * (QLR_CLOCK_HZ / 1000u);
    while (!(USART2_ISR & ISR_RXNE)) {
        if (USART2_ISR & ISR_ORE)
            USART2_ICR = ISR_ORE; /* an overrun loses bytes; the link's CRC and retries recover */
        if (timeout_ms >= 0 && qlr_stm32_ticks() >= deadline)
            return 0;
    }
    size_t n = 0;
    while (n < max && (USART2_ISR & ISR_RXNE))
        buf[n++] = (uint8_t)USART2_RDR;
    return (int)n;
}

void qlr_stm32_uart_write(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (!(USART2_ISR & ISR_TXE))
            ;
        USART2_TDR = buf[i];
    }
}
