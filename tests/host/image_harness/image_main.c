/*
 * Test harness for the firmware image reader (firmware/cl/image*.c), built by
 * tests/host/test_image_reader_c.py with AddressSanitizer and UBSan.
 *
 * stdin: records of (u32 little-endian length, u32 shift, that many bytes); length 0xFFFFFFFF
 * ends. Each image is copied to `shift` bytes past a 64-byte aligned address, in a buffer that
 * ends exactly where the image ends (so an over-read is caught by ASan), opened, and answered
 * with one line:
 *   OK <sections> <layers> <front> <back> <latent_h> <latent_w> <latent_c> <classes>
 *      <lr_count> <lr_bits> <lr_scale_count> <lr_code_max> <batches> <checksum>
 * where checksum (mod 2^32) adds, through the accessors, every FE_WEIGHT value (as int8), FE_BIAS,
 * FE_MULT and FE_SHIFT value, the bits of every BE_WEIGHT / BE_BIAS float, every LR row byte,
 * LR label and scale bits, every code maximum, and every batch image byte and label.
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

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint32_t checksum(const qlr_image_t *img)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < img->layer_count; i++) {
        qlr_layer_t r;
        qlr_layer_params_t p;
        if (qlr_image_layer(img, i, &r) != 0 || qlr_image_layer_params(img, i, &p) != 0) {
            return 0xDEADu;
        }
        uint32_t cout = r.out_c;
        for (uint32_t k = 0; p.weight != NULL && k < p.weight_count; k++) {
            int32_t w = p.weight[k];
            sum += (uint32_t)w;
        }
        for (uint32_t k = 0; p.bias != NULL && k < cout; k++) {
            sum += (uint32_t)p.bias[k];
        }
        for (uint32_t k = 0; p.mult != NULL && k < p.mult_count; k++) {
            sum += (uint32_t)p.mult[k];
        }
        uint32_t nshift = r.kind == QLR_LAYER_ADD ? 1u : p.mult_count;
        for (uint32_t k = 0; p.shift != NULL && k < nshift; k++) {
            sum += p.shift[k];
        }
        for (uint32_t k = 0; p.be_weight != NULL && k < p.weight_count; k++) {
            sum += bits_of(p.be_weight[k]);
        }
        for (uint32_t k = 0; p.be_bias != NULL && k < cout; k++) {
            sum += bits_of(p.be_bias[k]);
        }
    }
    for (uint32_t k = 0; k < img->lr_count * img->lr_row_bytes; k++) {
        sum += img->lr_latents[k];
    }
    for (uint32_t k = 0; k < img->lr_count; k++) {
        sum += img->lr_labels[k];
    }
    for (uint32_t k = 0; img->lr_count != 0u && k < img->lr_scale_count; k++) {
        sum += bits_of(img->lr_scale[k]) + (img->lr_code_max != NULL ? img->lr_code_max[k] : 0u);
    }
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s;
        const uint8_t *images;
        const uint16_t *labels;
        uint32_t n;
        if (qlr_image_section_at(img, i, &s) == 0 && s.type == QLR_SEC_DATA_IMAGES &&
            qlr_image_batch(img, s.group, &images, &labels, &n) == 0) {
            for (uint64_t k = 0; k < s.count; k++) {
                sum += images[k];
            }
            for (uint32_t k = 0; k < n; k++) {
                sum += labels[k];
            }
        }
    }
    return sum;
}

int main(void)
{
    for (;;) {
        uint8_t hdr[8];
        if (read_exact(hdr, 4) != 0) {
            return 1;
        }
        uint32_t len = (uint32_t)hdr[0] | ((uint32_t)hdr[1] << 8) | ((uint32_t)hdr[2] << 16) | ((uint32_t)hdr[3] << 24);
        if (len == 0xFFFFFFFFu) {
            return 0;
        }
        if (read_exact(hdr + 4, 4) != 0) {
            return 1;
        }
        uint32_t shift = hdr[4] & 63u;
        void *mem = NULL;
        size_t total = (size_t)len + shift;
        if (posix_memalign(&mem, 64, total == 0u ? 1u : total) != 0) { /* exactly: ASan flags over-reads */
            return 2;
        }
        uint8_t *at = (uint8_t *)mem + shift;
        if (read_exact(at, len) != 0) {
            return 1;
        }
        qlr_image_t img;
        qlr_image_error_t err;
        if (qlr_image_open(&img, at, len, &err) == 0) {
            printf("OK %u %u %u %u %u %u %u %u %u %u %u %d %u %u\n", (unsigned)img.section_count,
                   (unsigned)img.layer_count, (unsigned)img.front_count, (unsigned)img.back_count,
                   (unsigned)img.latent_h, (unsigned)img.latent_w, (unsigned)img.latent_c,
                   (unsigned)img.num_classes, (unsigned)img.lr_count, (unsigned)img.lr_bits,
                   (unsigned)img.lr_scale_count, img.lr_code_max != NULL, (unsigned)img.batch_count,
                   (unsigned)checksum(&img));
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
