/*
 * Kernel operations runnable from the host (`qlr kernel run`, `qlr bench`, the kernel tests).
 *
 * An op adapts one kernel (or a tiled executor around one) to a generic call: integer
 * parameters and tensors placed by the host in the L2 window. The command server looks an op up
 * by name, checks the call with op->check, forks nothing itself and calls op->run on the
 * controller; run forks the team (call->cores cores) and returns a qlr_status_t. The server
 * times run with qlr_counter() and reports op->macs.
 *
 * The host's op specs (host/qlr/kernels/ops_*.py, docs/kernels.md) are the one description of
 * every op's parameters and tensors: their names, order, kinds and ranges. The build generates
 * from them `qlr_ops_gen.h` / `.c` (build/<board>/, qlr.codegen.ops_c): one qlr_op_spec_t per op,
 * a struct of named parameters with its unpacking function (`qlr_<op>_params(call).k_h`) and the
 * tensor indices (`QLR_<OP>_T_<TENSOR>`). The command server checks every parameter against its
 * range (qlr_op_check_params) before the op's own check, which covers what one range cannot
 * (relations between parameters, tensor sizes, scratch). FP32 parameters (learning rate,
 * momentum, ...) travel as the IEEE-754 bits of the float in an int32 and must be finite.
 *
 * Ops live in firmware/app/ops/ops_<family>.c, one table per family, joined in
 * firmware/app/ops/registry.c. Op code is glue: the arithmetic lives in firmware/kernels/.
 */
#ifndef QLR_OP_H
#define QLR_OP_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/status.h"

#define QLR_OP_MAX_PARAMS 32u
#define QLR_OP_MAX_TENSORS 10u
#define QLR_OP_NAME_MAX 31u

struct qlr_op;

/* An op's parameters and tensors as the host's specs describe them (generated). */
typedef struct {
    const char *name;                  /* e.g. "pwconv_u8s8", "linear_f32_fw": qlr_<name> is the kernel */
    unsigned nparam;                   /* exact count a call must carry */
    unsigned ntensor;
    const char *const *param_names;    /* nparam names, in call order */
    const char *const *tensor_names;   /* ntensor names, in call order */
    const uint8_t *param_f32;          /* 1: an FP32 parameter (must be finite), 0: an int32 one */
    const int32_t *param_min;          /* int32 parameters: the accepted range, inclusive */
    const int32_t *param_max;
} qlr_op_spec_t;

typedef struct {
    const struct qlr_op *op;   /* the op being called (for messages) */
    const int32_t *param;      /* nparam integer parameters, in the op's documented order */
    unsigned nparam;
    uint8_t *tensor[QLR_OP_MAX_TENSORS]; /* in the L2 window, 4-byte aligned, in the op's order */
    uint32_t tensor_bytes[QLR_OP_MAX_TENSORS];
    unsigned ntensor;
    unsigned cores;            /* team size to fork: 1..qlr_team_max() */
    uint8_t *l1;               /* the free L1 region: tiles, im2col and other scratch */
    size_t l1_size;
    uint8_t *l2_scratch;       /* free L2 after the host's tensors (may be 0 bytes) */
    size_t l2_scratch_size;
} qlr_op_call_t;

typedef struct qlr_op {
    const qlr_op_spec_t *spec; /* name, parameters, tensors (qlr_<op>_spec, generated) */
    /* Checks what the parameter ranges cannot (relations between parameters, every tensor's
     * byte size against the shapes they imply, scratch); called after qlr_op_check_params.
     * Returns NULL when the call is valid, else a message naming the parameter or tensor. */
    const char *(*check)(const qlr_op_call_t *call);
    /* Multiply-accumulates of the call (0 for ops without MACs: count elements instead). */
    uint64_t (*macs)(const qlr_op_call_t *call);
    /* Runs the op on call->cores cores. Called on the controller after check passed. */
    qlr_status_t (*run)(const qlr_op_call_t *call);
    /* The glue's own description of the op, for check/macs/run functions shared by several
     * ops (call->op->data); NULL when unused. */
    const void *data;
} qlr_op_t;

/* The tables, one per family (ops_<family>.c). Each ends with an entry whose spec is NULL. */
extern const qlr_op_t qlr_ops_int8[];
extern const qlr_op_t qlr_ops_f32[];
extern const qlr_op_t qlr_ops_f32_head[];
extern const qlr_op_t qlr_ops_matmul[];

/* Finds an op by name in every table; NULL when there is none. */
const qlr_op_t *qlr_op_find(const char *name);
/* The i-th op over all tables (for listing); NULL past the end. */
const qlr_op_t *qlr_op_at(unsigned i);

/* Every parameter of the call within its spec's range (int32) or finite (FP32): NULL, or a
 * message (static storage) naming the first one at fault, its value and its range. */
const char *qlr_op_check_params(const qlr_op_call_t *call);

/* A tiled op's l1_budget (bytes of one tile set, 0 = half of the free L1): at most half of the free
 * L1. NULL or a message naming it. */
const char *qlr_op_check_l1_budget(const qlr_op_call_t *call, int32_t budget);

/* Helper for check functions: tensor i must be exactly `bytes` long. Returns NULL or a message
 * (static storage) naming the tensor, its size and the size the shape needs. */
const char *qlr_op_expect_bytes(const qlr_op_call_t *call, unsigned i, uint64_t bytes);

/* The FP32 tensors of a pointwise/linear pass over `rows` x `in` -> `out` (pixels or samples),
 * in op order: pass 0 (fw) x, w, b, y; pass 1 (bw_input) dy, w, dx; pass 2 (bw_weight)
 * x, dy, dw, db. NULL, or the qlr_op_expect_bytes message of the first tensor at fault. */
const char *qlr_op_expect_mm_tensors(const qlr_op_call_t *call, int pass, uint64_t rows, uint64_t in,
                                     uint64_t out);

#endif /* QLR_OP_H */
