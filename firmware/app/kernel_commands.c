/*
 * KERNEL_RUN, KERNEL_LIST and MEM_FILL (kernel_commands.h). Wire formats are in
 * docs/link-protocol.md; every field is checked before use and a bad one gets an error reply
 * whose message names it.
 */
#include "kernel_commands.h"

#include <string.h>

#include "qlr/op.h"
#include "qlr/runtime.h"

#define RUN_HEADER 4u /* u8 name_len, u8 cores, u8 nparam, u8 ntensor */

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

qlr_link_status_t qlr_cmd_kernel_run(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len < RUN_HEADER) {
        reply->message = "KERNEL_RUN needs name length, cores, parameter and tensor counts";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t name_len = p[0], cores = p[1], nparam = p[2], ntensor = p[3];
    if (name_len == 0u || name_len > QLR_OP_NAME_MAX) {
        reply->message = "op name length must be 1..31";
        return QLR_LINK_E_ARGUMENT;
    }
    if (nparam > QLR_OP_MAX_PARAMS || ntensor > QLR_OP_MAX_TENSORS) {
        reply->message = "too many parameters or tensors";
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t params_at = RUN_HEADER + align4(name_len);
    uint32_t tensors_at = params_at + 4u * nparam;
    if (req->len != tensors_at + 8u * ntensor) {
        reply->message = "KERNEL_RUN length does not match its counts";
        return QLR_LINK_E_LENGTH;
    }
    char name[QLR_OP_NAME_MAX + 1u];
    memcpy(name, p + RUN_HEADER, name_len);
    name[name_len] = '\0';
    const qlr_op_t *op = qlr_op_find(name);
    if (op == NULL) {
        reply->message = "no op of that name in this firmware";
        return QLR_LINK_E_NOT_FOUND;
    }
    if (nparam != op->nparam) {
        reply->message = "wrong number of parameters for the op";
        return QLR_LINK_E_ARGUMENT;
    }
    if (ntensor != op->ntensor) {
        reply->message = "wrong number of tensors for the op";
        return QLR_LINK_E_ARGUMENT;
    }
    if (cores == 0u || cores > qlr_team_max()) {
        reply->message = "cores must be 1..team size";
        return QLR_LINK_E_ARGUMENT;
    }

    int32_t param[QLR_OP_MAX_PARAMS];
    for (uint32_t i = 0; i < nparam; i++) {
        param[i] = (int32_t)qlr_link_get_u32(p + params_at + (size_t)4u * i);
    }
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    qlr_op_call_t call;
    memset(&call, 0, sizeof call);
    call.op = op;
    call.param = param;
    call.nparam = nparam;
    call.ntensor = ntensor;
    call.cores = cores;
    size_t used = 0;
    for (uint32_t i = 0; i < ntensor; i++) {
        uint32_t off = qlr_link_get_u32(p + tensors_at + (size_t)8u * i);
        uint32_t bytes = qlr_link_get_u32(p + tensors_at + (size_t)8u * i + 4u);
        if ((off & 3u) != 0u) {
            reply->message = "tensor offset not 4-byte aligned";
            return QLR_LINK_E_ARGUMENT;
        }
        if ((size_t)off > l2.size || (size_t)bytes > l2.size - (size_t)off) {
            reply->message = "tensor outside the L2 window";
            return QLR_LINK_E_RANGE;
        }
        call.tensor[i] = (uint8_t *)l2.base + off;
        call.tensor_bytes[i] = bytes;
        if ((size_t)off + bytes > used) {
            used = (size_t)off + bytes;
        }
    }
    used = (used + 63u) & ~(size_t)63u;
    if (used < l2.size) {
        call.l2_scratch = (uint8_t *)l2.base + used;
        call.l2_scratch_size = l2.size - used;
    }
    qlr_mem_region_t l1 = qlr_mem_region(QLR_MEM_L1);
    call.l1 = (uint8_t *)l1.base;
    call.l1_size = l1.size;

    const char *bad = op->check(&call);
    if (bad != NULL) {
        reply->message = bad;
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t macs = op->macs(&call);
    uint64_t t0 = qlr_counter();
    qlr_status_t st = op->run(&call);
    uint64_t t1 = qlr_counter();
    qlr_link_put_u32(reply->data + 0, (uint32_t)st);
    qlr_link_put_u64(reply->data + 4, t1 - t0);
    qlr_link_put_u64(reply->data + 12, macs);
    reply->len = 20;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_kernel_list(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "KERNEL_LIST takes a u32 index";
        return QLR_LINK_E_LENGTH;
    }
    const qlr_op_t *op = qlr_op_at(qlr_link_get_u32(req->payload));
    if (op == NULL) {
        reply->message = "no op at that index";
        return QLR_LINK_E_NOT_FOUND;
    }
    /* u8 nparam, u8 ntensor, then NUL-terminated name and tensor names */
    uint8_t *d = reply->data;
    size_t n = 2;
    d[0] = (uint8_t)op->nparam;
    d[1] = (uint8_t)op->ntensor;
    for (unsigned i = 0; i <= op->ntensor; i++) {
        const char *s = i == 0u ? op->name : op->tensor_names[i - 1u];
        size_t len = strlen(s);
        if (n + len + 1u > reply->max) {
            reply->message = "op description too long";
            return QLR_LINK_E_DEVICE;
        }
        memcpy(d + n, s, len + 1u);
        n += len + 1u;
    }
    reply->len = n;
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
    /* u32 offset, u32 bytes, u32 seed, u8 kind (0 = bytes, 1 = f32 in [-1, 1)), 3 x 0 */
    const uint8_t *p = req->payload;
    if (req->len != 16u) {
        reply->message = "MEM_FILL needs offset, length, seed and kind";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t off = qlr_link_get_u32(p), bytes = qlr_link_get_u32(p + 4);
    uint32_t seed = qlr_link_get_u32(p + 8) | 1u;
    uint8_t kind = p[12];
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    if ((size_t)off > l2.size || (size_t)bytes > l2.size - (size_t)off) {
        reply->message = "range outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (kind > 1u || p[13] != 0u || p[14] != 0u || p[15] != 0u) {
        reply->message = "kind must be 0 (bytes) or 1 (f32); reserved bytes zero";
        return QLR_LINK_E_ARGUMENT;
    }
    uint8_t *dst = (uint8_t *)l2.base + off;
    if (kind == 0u) {
        for (uint32_t i = 0; i < bytes; i++) {
            dst[i] = (uint8_t)(fill_next(&seed) >> 24);
        }
    } else {
        if ((off & 3u) != 0u || (bytes & 3u) != 0u) {
            reply->message = "f32 fill needs 4-byte aligned offset and length";
            return QLR_LINK_E_ARGUMENT;
        }
        float *f = (float *)(void *)dst;
        for (uint32_t i = 0; i < bytes / 4u; i++) {
            f[i] = (float)(int32_t)(fill_next(&seed) >> 8) / 8388608.0f - 1.0f;
        }
    }
    return QLR_LINK_OK;
}
