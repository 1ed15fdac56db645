/*
 * The host-device link, firmware side: CRC32, frames (encoder and an incremental parser that
 * resynchronises after garbage) and a command endpoint that serves requests over the runtime's
 * byte channel (qlr_link_read / qlr_link_write). The wire format is specified in
 * docs/link-protocol.md; host/qlr/link/ is the Python twin.
 *
 * Frame (all integers little-endian):
 *   0  sync0 0xF5      1  sync1 0x51 ('Q')   2  version (1)   3  command
 *   4  flags           5  status             6  seq (u16)     8  payload length (u16, <= 1024)
 *   10 header check: low 16 bits of CRC32 over bytes 0..9
 *   12 payload (length bytes)
 *   12+length  CRC32 over bytes 0..11+length (u32)
 *
 * Portable C99: nothing here includes platform code. The parser and the encoder touch no global
 * state; the endpoint talks to the outside world only through runtime.h.
 */
#ifndef QLR_LINK_H
#define QLR_LINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wire constants --------------------------------------------------------------------- */

#define QLR_LINK_VERSION 1u
#define QLR_LINK_SYNC0 0xF5u
#define QLR_LINK_SYNC1 0x51u
#define QLR_LINK_HEADER_SIZE 12u
#define QLR_LINK_CRC_SIZE 4u
#define QLR_LINK_MAX_PAYLOAD 1024u
#define QLR_LINK_MAX_FRAME (QLR_LINK_HEADER_SIZE + QLR_LINK_MAX_PAYLOAD + QLR_LINK_CRC_SIZE)

/* flags */
#define QLR_LINK_FLAG_RESPONSE 0x01u /* set on responses, clear on requests */
#define QLR_LINK_FLAGS_KNOWN 0x01u   /* any other flag bit makes the header invalid */

/* Command codes and payloads: qlr_commands.h, generated from host/qlr/link/commands.py
 * (docs/commands.md). 0x40..0x7F are left for applications (kernel ops, continual learning). */

/* Status of a response (header byte 5). Requests carry 0. On an error the payload is an
 * optional UTF-8 message saying what was wrong. */
typedef enum {
    QLR_LINK_OK = 0,
    QLR_LINK_E_COMMAND = 1,  /* unknown command */
    QLR_LINK_E_LENGTH = 2,   /* payload length wrong for the command */
    QLR_LINK_E_ARGUMENT = 3, /* a field has a value the command does not accept */
    QLR_LINK_E_LEVEL = 4,    /* memory level not reachable over the link */
    QLR_LINK_E_RANGE = 5,    /* offset/length outside the level's window */
    QLR_LINK_E_NOT_FOUND = 6, /* no self-test of that name */
    QLR_LINK_E_DEVICE = 7,   /* the platform refused (e.g. an L3 transfer failed) */
    QLR_LINK_IN_PROGRESS = 8, /* not an answer: the request is still running (a progress frame) */
    QLR_LINK_E_UNSUPPORTED = 9, /* the board cannot do this (e.g. no host file channel) */
} qlr_link_status_t;

/* ---- CRC32 ------------------------------------------------------------------------------ */

/* CRC-32 as in zlib/PNG/Ethernet (reflected polynomial 0xEDB88320, init and final xor
 * 0xFFFFFFFF). Chain like zlib: crc = qlr_crc32(0, a, n); crc = qlr_crc32(crc, b, m). */
uint32_t qlr_crc32(uint32_t crc, const void *data, size_t len);

/* ---- frames ----------------------------------------------------------------------------- */

typedef struct {
    uint8_t version;
    uint8_t cmd;
    uint8_t flags;
    uint8_t status;
    uint16_t seq;
    uint16_t len;
    const uint8_t *payload; /* points into the parser's buffer: valid until its next call */
    uint32_t crc;           /* the frame's trailing CRC32 (identifies a retried request) */
} qlr_frame_t;

/* Writes header and CRC around a payload already placed at frame + QLR_LINK_HEADER_SIZE.
 * Returns the frame's size, or 0 if len > QLR_LINK_MAX_PAYLOAD or flags has unknown bits. */
size_t qlr_frame_finish(uint8_t *frame, uint8_t cmd, uint8_t flags, uint8_t status, uint16_t seq,
                        size_t len);

/* Encodes a whole frame into out (payload may overlap out). Returns its size, or 0 when it does
 * not fit in out_max or the arguments are invalid (as for qlr_frame_finish). */
size_t qlr_frame_encode(uint8_t *out, size_t out_max, uint8_t cmd, uint8_t flags, uint8_t status,
                        uint16_t seq, const void *payload, size_t len);

/* Counters kept by the parser (they wrap; for diagnostics only). */
typedef struct {
    uint32_t frames;     /* frames accepted */
    uint32_t dropped;    /* bytes discarded outside accepted frames (garbage, console text) */
    uint32_t bad_header; /* candidates whose header failed validation */
    uint32_t bad_crc;    /* candidates with a valid header and a wrong frame CRC */
    uint32_t abandoned;  /* partial candidates given up by qlr_frame_parser_idle */
} qlr_frame_stats_t;

/*
 * Incremental parser. Bytes go in one at a time; the buffer never holds more than one maximal
 * frame. A candidate frame starts at a sync word; its header is validated (sync, version, known
 * flags, length <= QLR_LINK_MAX_PAYLOAD, header check) before its length is trusted, then the
 * frame CRC decides. When a candidate fails, only its first byte is dropped and the bytes after
 * it are scanned again, so a valid frame hidden behind garbage or a truncated frame is found.
 */
typedef struct {
    uint8_t buf[QLR_LINK_MAX_FRAME];
    size_t start;    /* buffered bytes are buf[start..end) */
    size_t end;
    size_t need;     /* size of the candidate at start once its header is valid, else 0 */
    size_t consumed; /* size of the frame returned last, discarded at the next call */
    qlr_frame_stats_t stats;
} qlr_frame_parser_t;

void qlr_frame_parser_init(qlr_frame_parser_t *p);
/* Adds one byte. Returns 1 and fills *out when a frame is complete, else 0. After a 1, call
 * qlr_frame_parser_poll until it returns 0: bytes rescanned after a failed candidate may hold
 * further frames. */
int qlr_frame_parser_push(qlr_frame_parser_t *p, uint8_t byte, qlr_frame_t *out);
/* Looks for a complete frame in the bytes already buffered (no new input). */
int qlr_frame_parser_poll(qlr_frame_parser_t *p, qlr_frame_t *out);
/* The line went quiet in the middle of a candidate: give up on it (drop its first byte), then
 * poll the rest. Call it when a read times out; returns as qlr_frame_parser_poll. */
int qlr_frame_parser_idle(qlr_frame_parser_t *p, qlr_frame_t *out);
/* Bytes buffered and not yet resolved (0 when the parser is between frames). */
size_t qlr_frame_parser_pending(const qlr_frame_parser_t *p);

/* ---- command endpoint --------------------------------------------------------------------- */

/* Where a command handler writes its answer: up to `max` bytes at `data` (the response's
 * payload area). Set `len`; on an error return a status and optionally `message`. */
typedef struct {
    uint8_t *data;
    size_t max;
    size_t len;
    const char *message; /* NUL-terminated, sent as the error payload (truncated to fit) */
    int exit_requested;  /* set by a handler: after this reply, qlr_link_serve returns */
    int exit_status;
} qlr_link_reply_t;

typedef qlr_link_status_t (*qlr_link_handler_fn)(const qlr_frame_t *req, qlr_link_reply_t *reply);

typedef struct {
    uint8_t cmd;
    qlr_link_handler_fn fn;
} qlr_link_command_t;

/* Milliseconds of silence after which a partial frame is abandoned. */
#define QLR_LINK_IDLE_MS 200

/* Serves requests from the link until a handler asks to exit (returns its exit_status) or the
 * channel closes (returns QLR_LINK_CLOSED). Frames that fail validation get no answer; valid
 * requests with an unknown command get QLR_LINK_E_COMMAND. A request repeated with the same
 * seq, command and CRC (a host retry) is answered from the last response without running the
 * handler again. Uses about 3 kB of static state. */
#define QLR_LINK_CLOSED (-1000)
int qlr_link_serve(const qlr_link_command_t *cmds, size_t ncmds);

/* Called by a long-running handler (through a hook: the learning event calls it per mini-batch):
 * sends a progress frame (status QLR_LINK_IN_PROGRESS, the running request's seq and command,
 * a u32 count of progress frames as payload) so that the host's timeout bounds silence, not
 * work. Does nothing outside a handler. */
void qlr_link_progress(void);

/* This boot's identifier: the frame CRC of the first request served since boot (never 0), or 0
 * before any. Reported by INFO; a host that sees it change knows the device reset. */
uint32_t qlr_link_boot_id(void);

/* Little-endian field helpers for handlers. */
static inline uint32_t qlr_link_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void qlr_link_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void qlr_link_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void qlr_link_put_u64(uint8_t *p, uint64_t v)
{
    qlr_link_put_u32(p, (uint32_t)v);
    qlr_link_put_u32(p + 4, (uint32_t)(v >> 32));
}

#ifdef __cplusplus
}
#endif

#endif /* QLR_LINK_H */
