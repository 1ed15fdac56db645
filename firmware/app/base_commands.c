/*
 * The base commands every firmware that talks to the host serves (docs/link-protocol.md): PING,
 * INFO, EXIT, MEM_WRITE / MEM_READ / MEM_CRC on the free L2 window and on L3, and SELFTEST.
 * Every request field is checked before use: a bad one gets an error response, never an access
 * outside the window.
 */
#include "base_commands.h"

#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

#ifndef QLR_FIRMWARE_VERSION
#define QLR_FIRMWARE_VERSION "0.1.0" /* the build may pass -DQLR_FIRMWARE_VERSION="\"...\"" */
#endif

#define MEM_HEADER 8u           /* u8 level, 3 zero bytes, u32 offset */
#define SELFTEST_NAME_MAX 63u   /* longest self-test name accepted, without the NUL */

qlr_link_status_t qlr_cmd_ping(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    memcpy(reply->data, req->payload, req->len);
    reply->len = req->len;
    return QLR_LINK_OK;
}

/* Appends a NUL-terminated string to the reply (truncated to fit, always terminated). */
static void put_string(qlr_link_reply_t *reply, const char *s)
{
    if (reply->len >= reply->max) {
        return;
    }
    size_t room = reply->max - reply->len - 1u;
    size_t n = 0;
    while (s != NULL && s[n] != '\0' && n < room) {
        n++;
    }
    if (n > 0u) { /* s may be NULL: an empty string */
        memcpy(reply->data + reply->len, s, n);
    }
    reply->data[reply->len + n] = 0;
    reply->len += n + 1u;
}

qlr_link_status_t qlr_cmd_info(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != 0u) {
        reply->message = "INFO takes no payload";
        return QLR_LINK_E_LENGTH;
    }
    qlr_board_info_t info;
    memset(&info, 0, sizeof info);
    qlr_board_info(&info);
    uint8_t *d = reply->data;
    qlr_link_put_u16(d + 0, (uint16_t)QLR_LINK_VERSION);
    qlr_link_put_u16(d + 2, (uint16_t)QLR_LINK_MAX_PAYLOAD);
    qlr_link_put_u32(d + 4, (uint32_t)info.team_max);
    qlr_link_put_u32(d + 8, info.l1_size);
    qlr_link_put_u32(d + 12, info.l2_size);
    qlr_link_put_u32(d + 16, info.l3_size);
    qlr_link_put_u32(d + 20, (uint32_t)qlr_mem_region(QLR_MEM_L2).size);
    qlr_link_put_u32(d + 24, (uint32_t)qlr_mem_region(QLR_MEM_L3).size);
    qlr_link_put_u64(d + 28, qlr_counter());
    reply->len = 36;
    put_string(reply, info.board);
    put_string(reply, info.platform);
    put_string(reply, QLR_FIRMWARE_VERSION);
    put_string(reply, qlr_counter_unit());
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_exit(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "EXIT takes an i32 status";
        return QLR_LINK_E_LENGTH;
    }
    reply->exit_requested = 1;
    reply->exit_status = (int)(int32_t)qlr_link_get_u32(req->payload);
    return QLR_LINK_OK;
}

/* A checked memory range of a request: the level's window and the offset inside it. */
typedef struct {
    qlr_mem_level_t level;
    uint8_t *l2; /* start of the range when level is L2 */
    uint32_t off;
    size_t count;
} mem_range_t;

/* Parses "u8 level, 3 zero bytes, u32 offset" and checks [off, off + count) against the window.
 * Overflow-safe: compares count with size - off only after off <= size. */
static qlr_link_status_t mem_range(const qlr_frame_t *req, size_t count, mem_range_t *r,
                                   qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (p[1] != 0u || p[2] != 0u || p[3] != 0u) {
        reply->message = "reserved bytes 1..3 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    qlr_mem_region_t win;
    if (p[0] == (uint8_t)QLR_MEM_L2) {
        r->level = QLR_MEM_L2;
    } else if (p[0] == (uint8_t)QLR_MEM_L3) {
        r->level = QLR_MEM_L3;
    } else {
        reply->message = "level must be 1 (L2) or 2 (L3)";
        return QLR_LINK_E_LEVEL;
    }
    win = qlr_mem_region(r->level);
    r->off = qlr_link_get_u32(p + 4);
    r->count = count;
    if ((size_t)r->off > win.size || count > win.size - (size_t)r->off) {
        reply->message = "range outside the level's window";
        return QLR_LINK_E_RANGE;
    }
    r->l2 = r->level == QLR_MEM_L2 ? (uint8_t *)win.base + r->off : NULL;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_write(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len < MEM_HEADER) {
        reply->message = "MEM_WRITE needs level, offset and data";
        return QLR_LINK_E_LENGTH;
    }
    mem_range_t r;
    qlr_link_status_t st = mem_range(req, req->len - MEM_HEADER, &r, reply);
    if (st != QLR_LINK_OK || r.count == 0u) {
        return st;
    }
    const uint8_t *data = req->payload + MEM_HEADER;
    if (r.level == QLR_MEM_L2) {
        memcpy(r.l2, data, r.count);
    } else if (qlr_l3_write(r.off, data, r.count) != 0) {
        reply->message = "L3 write refused";
        return QLR_LINK_E_DEVICE;
    }
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_read(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != MEM_HEADER + 4u) {
        reply->message = "MEM_READ needs level, offset and length";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t count = qlr_link_get_u32(req->payload + MEM_HEADER);
    if (count > reply->max) {
        reply->message = "MEM_READ length over the max payload";
        return QLR_LINK_E_ARGUMENT;
    }
    mem_range_t r;
    qlr_link_status_t st = mem_range(req, count, &r, reply);
    if (st != QLR_LINK_OK || count == 0u) {
        return st;
    }
    if (r.level == QLR_MEM_L2) {
        memcpy(reply->data, r.l2, count);
    } else if (qlr_l3_read(reply->data, r.off, count) != 0) {
        reply->message = "L3 read refused";
        return QLR_LINK_E_DEVICE;
    }
    reply->len = count;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_crc(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != MEM_HEADER + 4u) {
        reply->message = "MEM_CRC needs level, offset and length";
        return QLR_LINK_E_LENGTH;
    }
    mem_range_t r;
    qlr_link_status_t st = mem_range(req, qlr_link_get_u32(req->payload + MEM_HEADER), &r, reply);
    if (st != QLR_LINK_OK) {
        return st;
    }
    uint32_t crc = 0;
    if (r.level == QLR_MEM_L2) {
        crc = qlr_crc32(0, r.l2, r.count);
    } else {
        /* The reply buffer doubles as the bounce buffer for L3. */
        for (size_t done = 0; done < r.count;) {
            size_t n = r.count - done < reply->max ? r.count - done : reply->max;
            if (qlr_l3_read(reply->data, r.off + (uint32_t)done, n) != 0) {
                reply->message = "L3 read refused";
                return QLR_LINK_E_DEVICE;
            }
            crc = qlr_crc32(crc, reply->data, n);
            done += n;
        }
    }
    qlr_link_put_u32(reply->data, crc);
    reply->len = 4;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_selftest(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    char name[SELFTEST_NAME_MAX + 1u];
    if (req->len > SELFTEST_NAME_MAX) {
        reply->message = "self-test name too long";
        return QLR_LINK_E_LENGTH;
    }
    for (size_t i = 0; i < req->len; i++) {
        uint8_t c = req->payload[i];
        if (c <= 0x20u || c >= 0x7Fu) {
            reply->message = "self-test name must be printable ASCII without spaces";
            return QLR_LINK_E_ARGUMENT;
        }
        name[i] = (char)c;
    }
    name[req->len] = '\0';
    qlr_selftest_result_t res;
    memset(&res, 0, sizeof res);
    if (qlr_selftest_run(req->len != 0u ? name : NULL, &res) != 0) {
        reply->message = "no self-test of that name";
        return QLR_LINK_E_NOT_FOUND;
    }
    qlr_link_put_u32(reply->data + 0, res.passed);
    qlr_link_put_u32(reply->data + 4, res.failed);
    qlr_link_put_u64(reply->data + 8, res.counter);
    reply->len = 16;
    return QLR_LINK_OK;
}

int qlr_serve_commands(const char *who, const qlr_link_command_t *cmds, size_t ncmds)
{
    qlr_printf("%s: link protocol %u, firmware %s, serving\n", who, QLR_LINK_VERSION, QLR_FIRMWARE_VERSION);
    int status = qlr_link_serve(cmds, ncmds);
    if (status == QLR_LINK_CLOSED) {
        qlr_printf("%s: link closed by the host\n", who);
        return 0;
    }
    qlr_printf("%s: exit %d requested over the link\n", who, status);
    qlr_exit(status);
}
