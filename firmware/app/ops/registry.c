/*
 * The op registry: every family's table, searched by name (qlr/op.h).
 */
#include <stdio.h>
#include <string.h>

#include "qlr/op.h"

static const qlr_op_t *const tables[] = {qlr_ops_s8, qlr_ops_f32, qlr_ops_matmul, qlr_ops_tiled};

const qlr_op_t *qlr_op_at(unsigned i)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const qlr_op_t *op = tables[t]; op->name != NULL; op++) {
            if (i == 0u) {
                return op;
            }
            i--;
        }
    }
    return NULL;
}

const qlr_op_t *qlr_op_find(const char *name)
{
    const qlr_op_t *op;
    for (unsigned i = 0; (op = qlr_op_at(i)) != NULL; i++) {
        if (strcmp(op->name, name) == 0) {
            return op;
        }
    }
    return NULL;
}

const char *qlr_op_expect_bytes(const qlr_op_call_t *call, unsigned i, uint64_t bytes)
{
    static char msg[96];
    if (i >= call->ntensor) {
        return "tensor index past the call's tensors";
    }
    if ((uint64_t)call->tensor_bytes[i] == bytes) {
        return NULL;
    }
    const char *name = call->op != NULL && call->op->tensor_names != NULL ? call->op->tensor_names[i] : "?";
    snprintf(msg, sizeof msg, "tensor %u (%s) is %lu bytes, the parameters need %lu", i, name,
             (unsigned long)call->tensor_bytes[i], (unsigned long)bytes);
    return msg;
}

const char *qlr_op_expect_mm_tensors(const qlr_op_call_t *c, int pass, uint64_t rows, uint64_t in, uint64_t out)
{
    const uint64_t x = 4u * rows * in, y = 4u * rows * out, w = 4u * in * out, b = 4u * out;
    const uint64_t fw[] = {x, w, b, y}, bwi[] = {y, w, x}, bww[] = {x, y, w, b};
    const uint64_t *want = pass == 0 ? fw : pass == 1 ? bwi : bww;
    unsigned n = pass == 1 ? 3u : 4u;
    const char *e = NULL;
    for (unsigned i = 0; i < n && e == NULL; i++) {
        e = qlr_op_expect_bytes(c, i, want[i]);
    }
    return e;
}
