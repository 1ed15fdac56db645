/*
 * Ops of the s8 family (qlr/op.h, docs/kernels.md).
 */
#include <stddef.h>

#include "qlr/op.h"

const qlr_op_t qlr_ops_s8[] = {
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};
