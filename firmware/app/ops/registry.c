/*
 * The op registry: every family's table, searched by name, and the checks every op shares
 * (qlr/op.h): parameter ranges from the generated specs, tensor sizes.
 */
#include <stdio.h>
#include <string.h>

#include "qlr/op.h"

static const qlr_op_t *const tables[] = {qlr_ops_int8, qlr_ops_f32, qlr_ops_f32_head, qlr_ops_matmul};

const qlr_op_t *qlr_op_at(unsigned i)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const qlr_op_t *op = tables[t]; op->spec != NULL; op++) {
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
        if (strcmp(op->spec->name, name) == 0) {
            return op;
        }
    }
    return NULL;
}

const char *qlr_op_check_params(const qlr_op_call_t *call)
{
    static char msg[112];
    const qlr_op_spec_t *s = call->op->spec;
    for (unsigned i = 0; i < s->nparam && i < call->nparam; i++) {
        int32_t v = call->param[i];
        if (s->param_f32[i]) {
            float f;
            memcpy(&f, &v, sizeof f);
            if (!(f == f) || f - f != 0.0f) { /* NaN, or an infinity (inf - inf is NaN) */
                snprintf(msg, sizeof msg, "parameter %s is not a finite float", s->param_names[i]);
                return msg;
            }
        } else if (v < s->param_min[i] || v > s->param_max[i]) {
            snprintf(msg, sizeof msg, "parameter %s = %ld is outside [%ld, %ld]", s->param_names[i], (long)v,
                     (long)s->param_min[i], (long)s->param_max[i]);
            return msg;
        }
    }
    return NULL;
}

const char *qlr_op_check_l1_budget(const qlr_op_call_t *call, int32_t budget)
{
    static char msg[112];
    if (budget < 0 || (size_t)budget > call->l1_size / 2u) {
        snprintf(msg, sizeof msg, "l1_budget must be 0..%lu (half of the free L1), got %ld",
                 (unsigned long)(call->l1_size / 2u), (long)budget);
        return msg;
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
    const char *name = call->op != NULL ? call->op->spec->tensor_names[i] : "?";
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
