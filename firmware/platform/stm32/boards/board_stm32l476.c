/* NUCLEO-L476RG: USART2 on PA2/PA3 (the ST-LINK virtual COM port) at 115200 baud from the
 * 4 MHz MSI clock the chip resets to. There is no one to return an exit status to, so exit
 * prints `qlr-exit: STATUS` (the host's runner reads it) and the core sleeps. */
#include "qlr/runtime.h"
#include "qlr_board_config.h"
#include "../stm32_platform.h"

#define RCC_AHB2ENR (*(volatile uint32_t *)0x4002104Cu)
#define RCC_APB1ENR1 (*(volatile uint32_t *)0x40021058u)
#define GPIOA_MODER (*(volatile uint32_t *)0x48000000u)
#define GPIOA_AFRL (*(volatile uint32_t *)0x48000020u)
#define USART2_CR1 (*(volatile uint32_t *)0x40004400u)
#define USART2_BRR (*(volatile uint32_t *)0x4000440Cu)

void qlr_stm32_board_init(void)
{
    RCC_AHB2ENR |= 1u << 0;   /* GPIOA */
    RCC_APB1ENR1 |= 1u << 17; /* USART2 */
    (void)RCC_APB1ENR1;       /* read back: the clock is on before the peripheral is touched */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);  /* PA2, PA3: alternate function */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);  /* AF7 = USART2 */
    USART2_BRR = (QLR_CLOCK_HZ + 57600u) / 115200u;
    USART2_CR1 = (1u << 3) | (1u << 2) | (1u << 0);            /* TE, RE, UE */
}

void qlr_stm32_board_exit(int status)
{
    qlr_printf("qlr-exit: %d\n", status);
    for (;;)
        __asm__ volatile("wfi");
}
