/*
 * The command endpoint: reads the link's byte channel, parses frames, dispatches requests to a
 * table of handlers and writes one response per request. Talks to the platform only through
 * runtime.h (qlr_link_read / qlr_link_write).
 */
#include <string.h>

#include "qlr/link.h"
#include "qlr/runtime.h"

/* Static state (one endpoint per firmware): parser, the last response (kept for retries) and a
 * small receive buffer. About 2.2 kB plus the 1 kB response buffer. */
static struct {
    qlr_frame_parser_t parser;
    uint8_t tx[QLR_LINK_MAX_FRAME];
    size_t tx_len;
    int have_last;
    uint16_t last_seq;
    uint8_t last_cmd;
    uint32_t last_crc;
    uint32_t boot_id;
    int busy;          /* a handler is running the request busy_seq/busy_cmd */
    uint16_t busy_seq;
    uint8_t busy_cmd;
    uint32_t progress;
    uint8_t rx[128];
} ep;

void qlr_link_progress(void)
{
    if (!ep.busy) {
        return;
    }
    uint8_t frame[QLR_LINK_HEADER_SIZE + 4u + QLR_LINK_CRC_SIZE];
    ep.progress++;
    qlr_link_put_u32(frame + QLR_LINK_HEADER_SIZE, ep.progress);
    size_t n = qlr_frame_finish(frame, ep.busy_cmd, QLR_LINK_FLAG_RESPONSE, (uint8_t)QLR_LINK_IN_PROGRESS,
                                ep.busy_seq, 4u);
    qlr_link_write(frame, n);
}

uint32_t qlr_link_boot_id(void)
{
    return ep.boot_id;
}

/* Answers one frame. Returns 1 when a handler asked to exit (status in *exit_status). */
static int dispatch(const qlr_link_command_t *cmds, size_t ncmds, const qlr_frame_t *req,
                    int *exit_status)
{
    if ((req->flags & QLR_LINK_FLAG_RESPONSE) != 0u) {
        return 0; /* a response (our own echo on a loopback?): never answer it */
    }
    if (ep.have_last && req->seq == ep.last_seq && req->cmd == ep.last_cmd &&
        req->crc == ep.last_crc) {
        qlr_link_write(ep.tx, ep.tx_len); /* the host retried: repeat, do not run it twice */
        return 0;
    }

    qlr_link_reply_t reply;
    memset(&reply, 0, sizeof reply);
    reply.data = ep.tx + QLR_LINK_HEADER_SIZE;
    reply.max = QLR_LINK_MAX_PAYLOAD;

    if (ep.boot_id == 0u) {
        ep.boot_id = req->crc != 0u ? req->crc : 1u;
    }
    qlr_link_status_t status = QLR_LINK_E_COMMAND;
    reply.message = "unknown command";
    for (size_t i = 0; i < ncmds; i++) {
        if (cmds[i].cmd == req->cmd) {
            reply.message = NULL;
            ep.busy = 1;
            ep.busy_seq = req->seq;
            ep.busy_cmd = req->cmd;
            ep.progress = 0;
            status = cmds[i].fn(req, &reply);
            ep.busy = 0;
            break;
        }
    }
    if (status == QLR_LINK_OK && reply.len > reply.max) {
        status = QLR_LINK_E_DEVICE; /* a handler overran its reply: report it, send nothing */
        reply.message = "reply too long";
    }
    if (status != QLR_LINK_OK) {
        size_t n = 0;
        if (reply.message != NULL) {
            while (n < reply.max && reply.message[n] != '\0') {
                n++;
            }
            memmove(reply.data, reply.message, n);
        }
        reply.len = n;
        reply.exit_requested = 0;
    }

    ep.tx_len = qlr_frame_finish(ep.tx, req->cmd, QLR_LINK_FLAG_RESPONSE, (uint8_t)status,
                                 req->seq, reply.len);
    qlr_link_write(ep.tx, ep.tx_len);
    ep.have_last = 1;
    ep.last_seq = req->seq;
    ep.last_cmd = req->cmd;
    ep.last_crc = req->crc;
    if (reply.exit_requested) {
        *exit_status = reply.exit_status;
        return 1;
    }
    return 0;
}

int qlr_link_serve(const qlr_link_command_t *cmds, size_t ncmds)
{
    qlr_frame_parser_init(&ep.parser);
    ep.have_last = 0;
    ep.tx_len = 0;
    for (;;) {
        qlr_frame_t f;
        int exit_status = 0;
        int timeout = qlr_frame_parser_pending(&ep.parser) != 0u ? QLR_LINK_IDLE_MS : -1;
        int got = qlr_link_read(ep.rx, sizeof ep.rx, timeout);
        if (got < 0) {
            return QLR_LINK_CLOSED;
        }
        if (got == 0) {
            /* Silence in the middle of a candidate: it was garbage or a truncated frame. */
            for (int ok = qlr_frame_parser_idle(&ep.parser, &f); ok;
                 ok = qlr_frame_parser_poll(&ep.parser, &f)) {
                if (dispatch(cmds, ncmds, &f, &exit_status)) {
                    return exit_status;
                }
            }
            continue;
        }
        if ((size_t)got > sizeof ep.rx) {
            got = (int)sizeof ep.rx; /* a platform bug; never read past rx */
        }
        for (int i = 0; i < got; i++) {
            for (int ok = qlr_frame_parser_push(&ep.parser, ep.rx[i], &f); ok;
                 ok = qlr_frame_parser_poll(&ep.parser, &f)) {
                if (dispatch(cmds, ncmds, &f, &exit_status)) {
                    return exit_status;
                }
            }
        }
    }
}
