/*
 * Test harness for the link's C frame parser (firmware/link/frame.c), driven by
 * tests/host/test_link_fuzz.py. Reads cases from stdin, each a u32 little-endian length and that
 * many bytes (length 0xFFFFFFFF ends). Feeds each case to a fresh parser one byte at a time,
 * then resolves what is left as a quiet line would (qlr_frame_parser_idle). Prints, per case:
 *   F <cmd> <flags> <status> <seq> <crc> <payload hex or ->   for every frame, in order
 *   S <frames> <dropped> <bad_header> <bad_crc> <abandoned>
 *   .
 */
#include <stdio.h>
#include <stdlib.h>

#include "qlr/link.h"

static qlr_frame_parser_t parser;
static uint8_t data[1u << 20];

static void print_frame(const qlr_frame_t *f)
{
    printf("F %u %u %u %u %lu ", f->cmd, f->flags, f->status, f->seq, (unsigned long)f->crc);
    if (f->len == 0u) {
        putchar('-');
    }
    for (size_t i = 0; i < f->len; i++) {
        printf("%02x", f->payload[i]);
    }
    putchar('\n');
}

static int read_exact(void *dst, size_t n)
{
    return fread(dst, 1, n, stdin) == n;
}

int main(void)
{
    for (;;) {
        uint8_t hdr[4];
        if (!read_exact(hdr, 4)) {
            return 0;
        }
        uint32_t n = qlr_link_get_u32(hdr);
        if (n == 0xFFFFFFFFu) {
            return 0;
        }
        if (n > sizeof data || !read_exact(data, n)) {
            fprintf(stderr, "harness: bad case length %lu\n", (unsigned long)n);
            return 2;
        }
        qlr_frame_parser_init(&parser);
        qlr_frame_t f;
        for (uint32_t i = 0; i < n; i++) {
            for (int ok = qlr_frame_parser_push(&parser, data[i], &f); ok;
                 ok = qlr_frame_parser_poll(&parser, &f)) {
                print_frame(&f);
            }
            if (qlr_frame_parser_pending(&parser) > QLR_LINK_MAX_FRAME) {
                fprintf(stderr, "harness: parser holds %lu bytes\n",
                        (unsigned long)qlr_frame_parser_pending(&parser));
                return 3;
            }
        }
        while (qlr_frame_parser_pending(&parser) != 0u) {
            for (int ok = qlr_frame_parser_idle(&parser, &f); ok;
                 ok = qlr_frame_parser_poll(&parser, &f)) {
                print_frame(&f);
            }
        }
        const qlr_frame_stats_t *s = &parser.stats;
        printf("S %lu %lu %lu %lu %lu\n.\n", (unsigned long)s->frames, (unsigned long)s->dropped,
               (unsigned long)s->bad_header, (unsigned long)s->bad_crc, (unsigned long)s->abandoned);
        fflush(stdout);
    }
}
