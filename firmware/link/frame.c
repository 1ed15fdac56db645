/*
 * Link frames: the encoder and the incremental, resynchronising parser (see qlr/link.h and
 * docs/link-protocol.md). Pure C99; no platform code, no global state.
 */
#include <string.h>

#include "qlr/link.h"

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* Header check: the low 16 bits of the CRC32 of header bytes 0..9. */
static uint16_t header_check(const uint8_t *h)
{
    return (uint16_t)(qlr_crc32(0, h, QLR_LINK_HEADER_SIZE - 2u) & 0xFFFFu);
}

size_t qlr_frame_finish(uint8_t *frame, uint8_t cmd, uint8_t flags, uint8_t status, uint16_t seq,
                        size_t len)
{
    if (len > QLR_LINK_MAX_PAYLOAD || (flags & ~QLR_LINK_FLAGS_KNOWN) != 0u) {
        return 0;
    }
    frame[0] = (uint8_t)QLR_LINK_SYNC0;
    frame[1] = (uint8_t)QLR_LINK_SYNC1;
    frame[2] = (uint8_t)QLR_LINK_VERSION;
    frame[3] = cmd;
    frame[4] = flags;
    frame[5] = status;
    qlr_link_put_u16(frame + 6, seq);
    qlr_link_put_u16(frame + 8, (uint16_t)len);
    qlr_link_put_u16(frame + 10, header_check(frame));
    qlr_link_put_u32(frame + QLR_LINK_HEADER_SIZE + len,
                     qlr_crc32(0, frame, QLR_LINK_HEADER_SIZE + len));
    return QLR_LINK_HEADER_SIZE + len + QLR_LINK_CRC_SIZE;
}

size_t qlr_frame_encode(uint8_t *out, size_t out_max, uint8_t cmd, uint8_t flags, uint8_t status,
                        uint16_t seq, const void *payload, size_t len)
{
    if (len > QLR_LINK_MAX_PAYLOAD || out_max < QLR_LINK_HEADER_SIZE + len + QLR_LINK_CRC_SIZE) {
        return 0;
    }
    if (len > 0u) {
        memmove(out + QLR_LINK_HEADER_SIZE, payload, len);
    }
    return qlr_frame_finish(out, cmd, flags, status, seq, len);
}

void qlr_frame_parser_init(qlr_frame_parser_t *p)
{
    memset(p, 0, sizeof *p);
}

/* Removes k bytes from the front of the buffer; `garbage` says they were not an accepted frame. */
static void discard(qlr_frame_parser_t *p, size_t k, int garbage)
{
    p->start += k;
    p->need = 0;
    if (garbage) {
        p->stats.dropped += (uint32_t)k;
    }
    if (p->start == p->end) {
        p->start = p->end = 0;
    }
}

static void discard_consumed(qlr_frame_parser_t *p)
{
    if (p->consumed != 0u) {
        discard(p, p->consumed, 0);
        p->consumed = 0;
    }
}

/* Validates a full header before anything trusts its length; sets *need to the frame size. */
static int header_valid(const uint8_t *h, size_t *need)
{
    size_t len = get_u16(h + 8);
    if (h[0] != QLR_LINK_SYNC0 || h[1] != QLR_LINK_SYNC1 || h[2] != QLR_LINK_VERSION) {
        return 0;
    }
    if ((h[4] & ~QLR_LINK_FLAGS_KNOWN) != 0u || len > QLR_LINK_MAX_PAYLOAD) {
        return 0;
    }
    if (get_u16(h + 10) != header_check(h)) {
        return 0;
    }
    *need = QLR_LINK_HEADER_SIZE + len + QLR_LINK_CRC_SIZE;
    return 1;
}

int qlr_frame_parser_poll(qlr_frame_parser_t *p, qlr_frame_t *out)
{
    discard_consumed(p);
    for (;;) {
        size_t n = p->end - p->start;
        const uint8_t *b = p->buf + p->start;
        if (n == 0u) {
            return 0;
        }
        if (b[0] != QLR_LINK_SYNC0) {
            size_t i = 1;
            while (i < n && b[i] != QLR_LINK_SYNC0) {
                i++;
            }
            discard(p, i, 1);
            continue;
        }
        if (n < 2u) {
            return 0;
        }
        if (b[1] != QLR_LINK_SYNC1) {
            discard(p, 1, 1);
            continue;
        }
        if (p->need == 0u) {
            if (n < QLR_LINK_HEADER_SIZE) {
                return 0;
            }
            if (!header_valid(b, &p->need)) {
                p->stats.bad_header++;
                discard(p, 1, 1);
                continue;
            }
        }
        if (n < p->need) {
            return 0;
        }
        size_t len = p->need - QLR_LINK_HEADER_SIZE - QLR_LINK_CRC_SIZE;
        uint32_t crc = qlr_link_get_u32(b + QLR_LINK_HEADER_SIZE + len);
        if (qlr_crc32(0, b, QLR_LINK_HEADER_SIZE + len) != crc) {
            p->stats.bad_crc++;
            discard(p, 1, 1);
            continue;
        }
        out->version = b[2];
        out->cmd = b[3];
        out->flags = b[4];
        out->status = b[5];
        out->seq = get_u16(b + 6);
        out->len = (uint16_t)len;
        out->payload = b + QLR_LINK_HEADER_SIZE;
        out->crc = crc;
        p->consumed = p->need;
        p->stats.frames++;
        return 1;
    }
}

int qlr_frame_parser_push(qlr_frame_parser_t *p, uint8_t byte, qlr_frame_t *out)
{
    discard_consumed(p);
    if (p->end == sizeof p->buf) {
        /* Unreachable while callers poll after every push (a full buffer always resolves its
         * candidate), but never write past the buffer whatever the caller does. */
        if (p->start == 0u) {
            discard(p, 1, 1);
        }
        memmove(p->buf, p->buf + p->start, p->end - p->start);
        p->end -= p->start;
        p->start = 0;
    }
    p->buf[p->end++] = byte;
    return qlr_frame_parser_poll(p, out);
}

int qlr_frame_parser_idle(qlr_frame_parser_t *p, qlr_frame_t *out)
{
    discard_consumed(p);
    if (p->end != p->start) {
        p->stats.abandoned++;
        discard(p, 1, 1);
    }
    return qlr_frame_parser_poll(p, out);
}

size_t qlr_frame_parser_pending(const qlr_frame_parser_t *p)
{
    return p->end - p->start - p->consumed;
}
