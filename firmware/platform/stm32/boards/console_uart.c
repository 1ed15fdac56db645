/* Console on the link's UART (real boards: one wire for text and frames; the link's framing
 * resynchronises past the text). */
#include "../../../runtime/platform_hooks.h"
#include "../stm32_platform.h"

void qlr_console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            qlr_stm32_uart_write((const uint8_t *)"\r", 1);
        qlr_stm32_uart_write((const uint8_t *)&s[i], 1);
    }
}
