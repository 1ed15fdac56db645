/*
 * The base commands every firmware that talks to the host serves: PING, INFO, EXIT, MEM_WRITE /
 * MEM_READ / MEM_CRC / MEM_LOAD / MEM_STORE on the free L2 window and on L3, and SELFTEST. Payloads: qlr_commands.h,
 * generated from host/qlr/link/commands.py (docs/commands.md). Every request field is checked
 * before use: a bad one gets an error response, never an access outside the window.
 */
#include "base_commands.h"

#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"
#include "window.h"

#ifndef QLR_FIRMWARE_VERSION
#define QLR_FIRMWARE_VERSION "0.1.0" /* the build may pass -DQLR_FIRMWARE_VERSION="\"...\"" */
#endif

#define SELFTEST_NAME_MAX 63u   /* longest self-test name accepted, without the NUL */
#define MEM_LOAD_NAME_MAX 63u   /* longest MEM_LOAD file name, without the NUL */

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
    const qlr_info_reply_t r = {.protocol = (uint16_t)QLR_LINK_VERSION, .max_payload = (uint16_t)QLR_LINK_MAX_PAYLOAD,
                                .team_max = (uint32_t)info.team_max, .l1_size = info.l1_size,
                                .l2_size = info.l2_size, .l3_size = info.l3_size,
                                .l2_window = (uint32_t)qlr_mem_region(QLR_MEM_L2).size,
                                .l3_window = (uint32_t)qlr_mem_region(QLR_MEM_L3).size, .counter = qlr_counter(),
                                .boot_id = qlr_link_boot_id()};
    reply->len = qlr_info_reply_encode(reply->data, &r);
    put_string(reply, info.board);
    put_string(reply, info.platform);
    put_string(reply, QLR_FIRMWARE_VERSION);
    put_string(reply, qlr_counter_unit());
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_exit(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_exit_request_t q;
    qlr_link_status_t st = qlr_exit_request_decode(req, &q, reply);
    if (st != QLR_LINK_OK) {
        return st;
    }
    reply->exit_requested = 1;
    reply->exit_status = (int)q.status;
    return QLR_LINK_OK;
}

/* A checked memory range of a request: the level's window and the offset inside it. */
typedef struct {
    qlr_mem_level_t level;
    uint8_t *l2; /* start of the range when level is L2 */
    uint32_t off;
    size_t count;
} mem_range_t;

/* The level and [offset, offset + count) of a MEM_* request, checked against the window. */
static qlr_link_status_t mem_range(uint8_t level, uint32_t offset, size_t count, mem_range_t *r,
                                   qlr_link_reply_t *reply)
{
    if (level == (uint8_t)QLR_MEM_L2) {
        r->level = QLR_MEM_L2;
    } else if (level == (uint8_t)QLR_MEM_L3) {
        r->level = QLR_MEM_L3;
    } else {
        reply->message = "level must be 1 (L2) or 2 (L3)";
        return QLR_LINK_E_LEVEL;
    }
    r->off = offset;
    r->count = count;
    if (!qlr_window_holds(r->level, offset, count)) {
        reply->message = "range outside the level's window";
        return QLR_LINK_E_RANGE;
    }
    r->l2 = r->level == QLR_MEM_L2 ? qlr_l2_at(offset) : NULL;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_write(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_mem_write_request_t q;
    mem_range_t r;
    qlr_link_status_t st = qlr_mem_write_request_decode(req, &q, reply);
    if (st == QLR_LINK_OK) {
        st = mem_range(q.level, q.offset, req->len - QLR_MEM_WRITE_REQUEST_SIZE, &r, reply);
    }
    if (st != QLR_LINK_OK || r.count == 0u) {
        return st;
    }
    const uint8_t *data = req->payload + QLR_MEM_WRITE_REQUEST_SIZE;
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
    qlr_mem_read_request_t q;
    qlr_link_status_t st = qlr_mem_read_request_decode(req, &q, reply);
    if (st != QLR_LINK_OK) {
        return st;
    }
    if (q.length > reply->max) {
        reply->message = "MEM_READ length over the max payload";
        return QLR_LINK_E_ARGUMENT;
    }
    mem_range_t r;
    st = mem_range(q.level, q.offset, q.length, &r, reply);
    if (st != QLR_LINK_OK || q.length == 0u) {
        return st;
    }
    if (r.level == QLR_MEM_L2) {
        memcpy(reply->data, r.l2, q.length);
    } else if (qlr_l3_read(reply->data, r.off, q.length) != 0) {
        reply->message = "L3 read refused";
        return QLR_LINK_E_DEVICE;
    }
    reply->len = q.length;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_crc(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_mem_crc_request_t q;
    mem_range_t r;
    qlr_link_status_t st = qlr_mem_crc_request_decode(req, &q, reply);
    if (st == QLR_LINK_OK) {
        st = mem_range(q.level, q.offset, q.length, &r, reply);
    }
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
    const qlr_mem_crc_reply_t out = {.crc = crc};
    reply->len = qlr_mem_crc_reply_encode(reply->data, &out);
    return QLR_LINK_OK;
}

/* A file name MEM_LOAD accepts: a plain name in the emulator's working directory. */
static int plain_file_name(const uint8_t *p, size_t n)
{
    if (n == 0u || n > MEM_LOAD_NAME_MAX || p[0] == (uint8_t)'.') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        int ok = (c >= (uint8_t)'a' && c <= (uint8_t)'z') || (c >= (uint8_t)'A' && c <= (uint8_t)'Z') ||
                 (c >= (uint8_t)'0' && c <= (uint8_t)'9') || c == (uint8_t)'.' || c == (uint8_t)'_' ||
                 c == (uint8_t)'-';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* The file name after a request's fixed part, checked, NUL-terminated into `name`. */
static qlr_link_status_t file_name_of(const qlr_frame_t *req, size_t fixed, char name[MEM_LOAD_NAME_MAX + 1u],
                                      qlr_link_reply_t *reply)
{
    const uint8_t *raw = req->payload + fixed;
    size_t name_len = req->len - fixed;
    if (!plain_file_name(raw, name_len)) {
        reply->message = "file name must be 1..63 bytes of [A-Za-z0-9._-], not starting with '.'";
        return QLR_LINK_E_ARGUMENT;
    }
    memcpy(name, raw, name_len);
    name[name_len] = '\0';
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_load(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_mem_load_request_t q;
    mem_range_t r;
    qlr_link_status_t st = qlr_mem_load_request_decode(req, &q, reply);
    if (st == QLR_LINK_OK) {
        st = mem_range(q.level, q.offset, q.length, &r, reply);
    }
    if (st != QLR_LINK_OK) {
        return st;
    }
    char name[MEM_LOAD_NAME_MAX + 1u];
    st = file_name_of(req, QLR_MEM_LOAD_REQUEST_SIZE, name, reply);
    if (st != QLR_LINK_OK) {
        return st;
    }
    int h = qlr_host_file_open(name, q.position);
    if (h == -1) {
        reply->message = "this board has no host file channel (use MEM_WRITE)";
        return QLR_LINK_E_UNSUPPORTED;
    }
    if (h < 0) {
        reply->message = "cannot open the file at that position";
        return QLR_LINK_E_NOT_FOUND;
    }
    uint32_t crc = 0;
    size_t done = 0;
    while (done < r.count) {
        /* L2: straight into the window; L3: through the reply buffer (it bounces MEM_CRC too). */
        size_t n = r.count - done;
        uint8_t *dst = r.l2 != NULL ? r.l2 + done : reply->data;
        if (r.l2 == NULL && n > reply->max) {
            n = reply->max;
        }
        long got = qlr_host_file_read(h, dst, n);
        if (got <= 0) {
            break;
        }
        if (r.l2 == NULL && qlr_l3_write(r.off + (uint32_t)done, dst, (size_t)got) != 0) {
            qlr_host_file_close(h);
            reply->message = "L3 write refused";
            return QLR_LINK_E_DEVICE;
        }
        crc = qlr_crc32(crc, dst, (size_t)got);
        done += (size_t)got;
    }
    qlr_host_file_close(h);
    if (done != r.count) {
        reply->message = "the file ended before `length` bytes";
        return QLR_LINK_E_NOT_FOUND;
    }
    const qlr_mem_load_reply_t out = {.crc = crc};
    reply->len = qlr_mem_load_reply_encode(reply->data, &out);
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_mem_store(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_mem_store_request_t q;
    mem_range_t r;
    qlr_link_status_t st = qlr_mem_store_request_decode(req, &q, reply);
    if (st == QLR_LINK_OK) {
        st = mem_range(q.level, q.offset, q.length, &r, reply);
    }
    if (st != QLR_LINK_OK) {
        return st;
    }
    char name[MEM_LOAD_NAME_MAX + 1u];
    st = file_name_of(req, QLR_MEM_STORE_REQUEST_SIZE, name, reply);
    if (st != QLR_LINK_OK) {
        return st;
    }
    int h = qlr_host_file_create(name);
    if (h == -1) {
        reply->message = "this board has no host file channel (use MEM_READ)";
        return QLR_LINK_E_UNSUPPORTED;
    }
    if (h < 0) {
        reply->message = "cannot create the file";
        return QLR_LINK_E_DEVICE;
    }
    uint32_t crc = 0;
    for (size_t done = 0; done < r.count;) {
        /* L2: straight from the window; L3: through the reply buffer. */
        size_t n = r.count - done;
        const uint8_t *src;
        if (r.l2 != NULL) {
            src = r.l2 + done;
        } else {
            n = n > reply->max ? reply->max : n;
            if (qlr_l3_read(reply->data, r.off + (uint32_t)done, n) != 0) {
                qlr_host_file_close(h);
                reply->message = "L3 read refused";
                return QLR_LINK_E_DEVICE;
            }
            src = reply->data;
        }
        if (qlr_host_file_write(h, src, n) != 0) {
            qlr_host_file_close(h);
            reply->message = "the file write failed";
            return QLR_LINK_E_DEVICE;
        }
        crc = qlr_crc32(crc, src, n);
        done += n;
    }
    qlr_host_file_close(h);
    const qlr_mem_store_reply_t out = {.crc = crc};
    reply->len = qlr_mem_store_reply_encode(reply->data, &out);
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
    const qlr_selftest_reply_t r = {.passed = res.passed, .failed = res.failed, .counter = res.counter};
    reply->len = qlr_selftest_reply_encode(reply->data, &r);
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
