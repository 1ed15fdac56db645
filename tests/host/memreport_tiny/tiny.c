/*
 * A tiny bare-metal program whose memory use tests/host/test_memreport.py knows exactly, built by
 * `scons board=NAME tests` with the board's flags and placed by the platform's real linker script
 * (firmware/platform/<family>/sections.ld): a .bss array (100000 bytes, or 20000 on boards with
 * under 1 MiB of L2), 64 bytes of .data, a 3000-byte .rodata table and a 256-byte .l1 buffer.
 * Built twice: tiny.elf, and tiny-marked.elf with a .qlr_board section naming the board.
 */
#include "qlr_board_config.h"

#if QLR_L2_SIZE >= 0x100000u
#define TINY_BSS_BYTES 100000
#else
#define TINY_BSS_BYTES 20000
#endif

#if defined(__arm__)
#define TINY_ENTRY qlr_reset_handler
#define TINY_PROGBITS "%progbits"
#else
#define TINY_ENTRY _start
#define TINY_PROGBITS "@progbits"
#endif

char big_bss[TINY_BSS_BYTES];
int data_var[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const char rodata_tab[3000] = {1, 2, 3};
volatile int idx;
__attribute__((section(".l1"))) volatile char l1_tile[256];

void TINY_ENTRY(void);

#if defined(__arm__)
/* The vector table the Cortex-M linker script keeps: initial stack pointer (unused) and reset. */
__attribute__((section(".isr_vector"), used)) void (*const vec[2])(void) = {0, TINY_ENTRY};
#endif

#ifdef QLR_TINY_MARKER
__asm__(".section .qlr_board,\"\"," TINY_PROGBITS "\n.asciz \"" QLR_BOARD_NAME "\"\n.previous");
#endif

__attribute__((section(".text.start"))) void TINY_ENTRY(void)
{
    big_bss[7] = (char)(data_var[3] + rodata_tab[idx] + l1_tile[9]);
    for (;;) {
    }
}
