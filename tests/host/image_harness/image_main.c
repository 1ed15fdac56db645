/*
 * Test harness for the firmware image reader (firmware/cl/image.c), built by
 * tests/host/test_image_reader_c.py with AddressSanitizer and UBSan.
 *
 * stdin: records of (u32 little-endian length, that many bytes); length 0xFFFFFFFF ends.
 * Each image is copied into a buffer of exactly its length at a 64-byte aligned address (so an
 * over-read is caught by ASan), opened, and answered with one line:
 *   OK <sections> <layers> <front> <back> <latent_h> <latent_w> <latent_c> <classes>
 *      <lr_count> <lr_bits> <lr_scale_count> <lr_code_max> <batches>
 *   E <section> <layer> <other> <field or -> <message...>     (the formatted error)
 */
#define _POSIX_C_SOURCE 200112L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlr/image.h"

static int read_exact(void *buf, size_t n)
{
    return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

int main(void)
{
    for (;;) {
        uint8_t lenb[4];
        if (read_exact(lenb, 4) != 0) {
            return 1;
        }
        uint32_t len = (uint32_t)lenb[0] | ((uint32_t)lenb[1] << 8) | ((uint32_t)lenb[2] << 16) |
                       ((uint32_t)lenb[3] << 24);
        if (len == 0xFFFFFFFFu) {
            return 0;
        }
        void *mem = NULL;
        if (posix_memalign(&mem, 64, len == 0u ? 1u : len) != 0) {
            return 2;
        }
        if (read_exact(mem, len) != 0) {
            return 1;
        }
        qlr_image_t img;
        qlr_image_error_t err;
        if (qlr_image_open(&img, (const uint8_t *)mem, len, &err) == 0) {
            printf("OK %u %u %u %u %u %u %u %u %u %u %u %d %u\n", (unsigned)img.section_count,
                   (unsigned)img.layer_count, (unsigned)img.front_count, (unsigned)img.back_count,
                   (unsigned)img.latent_h, (unsigned)img.latent_w, (unsigned)img.latent_c,
                   (unsigned)img.num_classes, (unsigned)img.lr_count, (unsigned)img.lr_bits,
                   (unsigned)img.lr_scale_count, img.lr_code_max != NULL, (unsigned)img.batch_count);
        } else {
            char text[512];
            qlr_image_error_format(&err, text, sizeof text);
            printf("E %d %d %d %s %s\n", (int)err.section, (int)err.layer, (int)err.other,
                   err.field != NULL ? err.field : "-", text);
        }
        fflush(stdout);
        free(mem);
    }
}
