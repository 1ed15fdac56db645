/*
 * Ops of the matmul family (qlr/op.h, docs/kernels.md): the FP32 matrix-multiply micro-kernels.
 */
#include <stddef.h>

#include "qlr/matmul_f32.h"
#include "qlr/op.h"
#include "qlr/runtime.h"

/* ---- matmul_f32_{nn,nt,tn}: params m, n, k, accumulate; tensors a, b, bias, c (inout) ---- */

static const char *const matmul_tensors[] = {"a", "b", "bias", "c"};

static const char *matmul_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    if (q[0] < 1 || q[1] < 1 || q[2] < 1) {
        return "m, n and k must be >= 1";
    }
    if (q[3] != 0 && q[3] != 1) {
        return "accumulate must be 0 or 1";
    }
    uint64_t m = (uint64_t)q[0], n = (uint64_t)q[1], k = (uint64_t)q[2];
    const char *e;
    if ((e = qlr_op_expect_bytes(c, 0, 4u * m * k)) || (e = qlr_op_expect_bytes(c, 1, 4u * k * n)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * n)) || (e = qlr_op_expect_bytes(c, 3, 4u * m * n))) {
        return e;
    }
    return NULL;
}

static uint64_t matmul_macs(const qlr_op_call_t *c)
{
    return (uint64_t)c->param[0] * (uint64_t)c->param[1] * (uint64_t)c->param[2];
}

typedef struct {
    void (*fn)(const qlr_matmul_f32_args_t *);
    qlr_matmul_f32_args_t args;
} matmul_task_t;

static void matmul_task(void *arg)
{
    const matmul_task_t *t = arg;
    t->fn(&t->args);
}

static qlr_status_t matmul_run(const qlr_op_call_t *c, void (*fn)(const qlr_matmul_f32_args_t *), int a_t,
                               int b_t)
{
    uint32_t m = (uint32_t)c->param[0], n = (uint32_t)c->param[1], k = (uint32_t)c->param[2];
    matmul_task_t t = {fn,
                       {(const float *)(void *)c->tensor[0], (const float *)(void *)c->tensor[1],
                        (float *)(void *)c->tensor[3], (const float *)(void *)c->tensor[2], m, n, k,
                        a_t ? m : k, b_t ? k : n, n, c->param[3]}};
    qlr_team_fork(c->cores, matmul_task, &t);
    return QLR_OK;
}

static qlr_status_t matmul_nn_run(const qlr_op_call_t *c)
{
    return matmul_run(c, qlr_matmul_f32_nn, 0, 0);
}
static qlr_status_t matmul_nt_run(const qlr_op_call_t *c)
{
    return matmul_run(c, qlr_matmul_f32_nt, 0, 1);
}
static qlr_status_t matmul_tn_run(const qlr_op_call_t *c)
{
    return matmul_run(c, qlr_matmul_f32_tn, 1, 0);
}

const qlr_op_t qlr_ops_matmul[] = {
    {"matmul_f32_nn", 4, 4, matmul_tensors, matmul_check, matmul_macs, matmul_nn_run},
    {"matmul_f32_nt", 4, 4, matmul_tensors, matmul_check, matmul_macs, matmul_nt_run},
    {"matmul_f32_tn", 4, 4, matmul_tensors, matmul_check, matmul_macs, matmul_tn_run},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};
