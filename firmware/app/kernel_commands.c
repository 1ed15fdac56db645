/*
 * KERNEL_RUN, KERNEL_LIST and MEM_FILL (kernel_commands.h). The payloads are decoded and encoded
 * by qlr_commands.h, generated from host/qlr/link/commands.py (docs/commands.md); every field is
 * checked before use and a bad one gets an error reply whose message names it.
 */
#include "kernel_commands.h"

#include <string.h>

#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr_commands.h"
#include "window.h"

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

/* The op a request names, if this firmware has it and the request's counts are the op's. */
static qlr_link_status_t find_op(const qlr_kernel_run_request_t *q, const uint8_t *name_bytes, qlr_link_reply_t *reply,
                                 const qlr_op_t **out)
{
    char name[QLR_OP_NAME_MAX + 1u];
    memcpy(name, name_bytes, q->name_len);
    name[q->name_len] = '\0';
    const qlr_op_t *op = qlr_op_find(name);
    if (op == NULL) {
        reply->message = "no op of that name in this firmware";
        return QLR_LINK_E_NOT_FOUND;
    }
    if (q->nparam != op->spec->nparam) {
        reply->message = "wrong number of parameters for the op";
        return QLR_LINK_E_ARGUMENT;
    }
    if (q->ntensor != op->spec->ntensor) {
        reply->message = "wrong number of tensors for the op";
        return QLR_LINK_E_ARGUMENT;
    }
    if (q->cores == 0u || q->cores > qlr_team_max()) {
        reply->message = "cores must be 1..team size";
        return QLR_LINK_E_ARGUMENT;
    }
    *out = op;
    return QLR_LINK_OK;
}

/* The call's tensors from their (offset, bytes) pairs, each 4-byte aligned inside the L2 window;
 * the free L2 after the last one (64-byte aligned) as scratch, and all of L1. */
static qlr_link_status_t bind_memory(qlr_op_call_t *call, const uint8_t *pairs, qlr_link_reply_t *reply)
{
    size_t used = 0;
    for (uint32_t i = 0; i < call->ntensor; i++) {
        uint32_t off = qlr_link_get_u32(pairs + (size_t)8u * i);
        uint32_t bytes = qlr_link_get_u32(pairs + (size_t)8u * i + 4u);
        if ((off & 3u) != 0u) {
            reply->message = "tensor offset not 4-byte aligned";
            return QLR_LINK_E_ARGUMENT;
        }
        if (!qlr_window_holds(QLR_MEM_L2, off, bytes)) {
            reply->message = "tensor outside the L2 window";
            return QLR_LINK_E_RANGE;
        }
        call->tensor[i] = qlr_l2_at(off);
        call->tensor_bytes[i] = bytes;
        if ((size_t)off + bytes > used) {
            used = (size_t)off + bytes;
        }
    }
    used = (used + 63u) & ~(size_t)63u;
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    if (used < l2.size) {
        call->l2_scratch = qlr_l2_at((uint32_t)used);
        call->l2_scratch_size = l2.size - used;
    }
    qlr_mem_region_t l1 = qlr_mem_region(QLR_MEM_L1);
    call->l1 = (uint8_t *)l1.base;
    call->l1_size = l1.size;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_kernel_run(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_kernel_run_request_t q;
    qlr_link_status_t ls = qlr_kernel_run_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    if (q.name_len == 0u || q.name_len > QLR_OP_NAME_MAX) {
        reply->message = "op name length must be 1..31";
        return QLR_LINK_E_ARGUMENT;
    }
    if (q.nparam > QLR_OP_MAX_PARAMS || q.ntensor > QLR_OP_MAX_TENSORS) {
        reply->message = "too many parameters or tensors";
        return QLR_LINK_E_ARGUMENT;
    }
    /* after the fixed part: the name (padded to 4 bytes), the parameters, the tensors */
    const uint32_t name_at = QLR_KERNEL_RUN_REQUEST_SIZE, params_at = name_at + align4(q.name_len);
    const uint32_t tensors_at = params_at + 4u * q.nparam;
    if (req->len != tensors_at + 8u * q.ntensor) {
        reply->message = "KERNEL_RUN length does not match its counts";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    const qlr_op_t *op = NULL;
    int32_t param[QLR_OP_MAX_PARAMS];
    for (uint32_t i = 0; i < q.nparam; i++) {
        param[i] = (int32_t)qlr_link_get_u32(p + params_at + (size_t)4u * i);
    }
    qlr_op_call_t call;
    memset(&call, 0, sizeof call);
    if ((ls = find_op(&q, p + name_at, reply, &op)) != QLR_LINK_OK) {
        return ls;
    }
    call.op = op;
    call.param = param;
    call.nparam = q.nparam;
    call.ntensor = q.ntensor;
    call.cores = q.cores;
    if ((ls = bind_memory(&call, p + tensors_at, reply)) != QLR_LINK_OK) {
        return ls;
    }
    const char *bad = qlr_op_check_params(&call);
    if (bad == NULL) {
        bad = op->check(&call);
    }
    if (bad != NULL) {
        reply->message = bad;
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t macs = op->macs(&call);
    uint64_t t0 = qlr_counter();
    qlr_status_t st = op->run(&call);
    uint64_t t1 = qlr_counter();
    const qlr_kernel_run_reply_t r = {.status = (uint32_t)st, .counter = t1 - t0, .macs = macs};
    reply->len = qlr_kernel_run_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

/* Appends a NUL-terminated string to the reply; 0 when it does not fit. */
static int put_name(qlr_link_reply_t *reply, const char *s)
{
    size_t len = strlen(s);
    if (reply->len + len + 1u > reply->max) {
        return 0;
    }
    memcpy(reply->data + reply->len, s, len + 1u);
    reply->len += len + 1u;
    return 1;
}

qlr_link_status_t qlr_cmd_kernel_list(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_kernel_list_request_t q;
    qlr_link_status_t ls = qlr_kernel_list_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const qlr_op_t *op = qlr_op_at(q.index);
    if (op == NULL) {
        reply->message = "no op at that index";
        return QLR_LINK_E_NOT_FOUND;
    }
    const qlr_op_spec_t *s = op->spec;
    const qlr_kernel_list_reply_t r = {.nparam = (uint8_t)s->nparam, .ntensor = (uint8_t)s->ntensor};
    reply->len = qlr_kernel_list_reply_encode(reply->data, &r);
    int fits = put_name(reply, s->name);
    for (unsigned i = 0; i < s->nparam; i++) {
        fits = fits && put_name(reply, s->param_names[i]);
    }
    for (unsigned i = 0; i < s->ntensor; i++) {
        fits = fits && put_name(reply, s->tensor_names[i]);
    }
    if (!fits) {
        reply->message = "op description too long";
        return QLR_LINK_E_DEVICE;
    }
    return QLR_LINK_OK;
}

/* xorshift32 (Marsaglia): fills are test patterns, not the CL RNG. */
static uint32_t fill_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

qlr_link_status_t qlr_cmd_mem_fill(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_mem_fill_request_t q;
    qlr_link_status_t ls = qlr_mem_fill_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    uint32_t seed = q.seed | 1u;
    if (!qlr_window_holds(QLR_MEM_L2, q.offset, q.bytes)) {
        reply->message = "range outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (q.kind > 1u) {
        reply->message = "kind must be 0 (bytes) or 1 (f32)";
        return QLR_LINK_E_ARGUMENT;
    }
    uint8_t *dst = qlr_l2_at(q.offset);
    if (q.kind == 0u) {
        for (uint32_t i = 0; i < q.bytes; i++) {
            dst[i] = (uint8_t)(fill_next(&seed) >> 24);
        }
    } else {
        if ((q.offset & 3u) != 0u || (q.bytes & 3u) != 0u) {
            reply->message = "f32 fill needs 4-byte aligned offset and length";
            return QLR_LINK_E_ARGUMENT;
        }
        float *f = (float *)(void *)dst;
        for (uint32_t i = 0; i < q.bytes / 4u; i++) {
            f[i] = (float)(int32_t)(fill_next(&seed) >> 8) / 8388608.0f - 1.0f;
        }
    }
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_l3_bench(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_l3_bench_request_t q;
    qlr_link_status_t ls = qlr_l3_bench_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    if (q.write > 1u || q.queued > 1u || q.repeats == 0u || q.repeats > 65536u) {
        reply->message = "write and queued must be 0 or 1, repeats 1..65536";
        return QLR_LINK_E_ARGUMENT;
    }
    if (!qlr_window_holds(QLR_MEM_L2, q.l2_offset, q.bytes) || !qlr_window_holds(QLR_MEM_L3, q.l3_offset, q.bytes)) {
        reply->message = "range outside the L2 or L3 window";
        return QLR_LINK_E_RANGE;
    }
    uint8_t *l2 = qlr_l2_at(q.l2_offset);
    qlr_copy_t job = {0};
    int rc = 0;
    uint64_t t0 = qlr_counter();
    for (uint32_t r = 0; r < q.repeats && rc == 0; r++) {
        rc = q.write ? qlr_l3_write_async(&job, q.l3_offset, l2, q.bytes) : qlr_l3_read_async(&job, l2, q.l3_offset, q.bytes);
        if (!q.queued) {
            qlr_copy_wait(&job);
        }
    }
    qlr_copy_wait(&job);
    uint64_t t1 = qlr_counter();
    if (rc != 0) {
        reply->message = "L3 transfer refused";
        return QLR_LINK_E_RANGE;
    }
    qlr_l3_bench_reply_t r = {.counter = t1 - t0};
    reply->len = qlr_l3_bench_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}
