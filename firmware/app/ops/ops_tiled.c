/*
 * Ops of the tiled family (qlr/op.h, docs/kernels.md).
 */
#include <stddef.h>

#include "qlr/op.h"

const qlr_op_t qlr_ops_tiled[] = {
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};
