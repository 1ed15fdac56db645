/*
 * Ops of the f32 family (qlr/op.h, docs/kernels.md): the FP32 training kernels.
 */
#include <stddef.h>

#include "qlr/op.h"

const qlr_op_t qlr_ops_f32[] = {
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};
