/*
 * FP32 matrix-multiply micro-kernels (qlr/matmul_f32.h), portable C.
 *
 * C is computed in 4x4 register blocks (16 accumulators), with 4x1, 1x4 and 1x1 blocks for the
 * rows and columns left over. Every block runs the whole K loop in registers and touches C once
 * (bias, accumulate or overwrite at the store). How each operand is walked depends on its layout:
 * an operand stored "k-contiguous" (A in nn/nt, B in nt) is read through one pointer per row,
 * each advanced by one element; an operand stored "block-contiguous" (A in tn, B in nn/tn) is
 * read through one pointer with offsets 0..3, advanced by its leading dimension. On RV32 these
 * are the loads with immediate offsets and the pointer bumps of the inner loop; read the inner
 * loops with `clang-19 -S` (pulp-open) or `riscv64-unknown-elf-objdump -d` (qemu-rv32).
 *
 * Work split (qlr_matmul_f32_part): the team shares the 4-row blocks of C or the 4-column
 * blocks, whichever leaves the slowest core the least work (M small and N large: columns).
 *
 * Multiply-add: __builtin_fmaf where the compiler says a fused multiply-add is fast
 * (__FP_FAST_FMAF: rv32imafc, Cortex-M4F); elsewhere a*b + c, which clang contracts to fmadd.s
 * on Zfinx (pulp-open) and which stays two operations on the host.
 */
#include <stddef.h>

#include "matmul_f32_share.h"
#include "qlr/kernel.h"

#if defined(__FP_FAST_FMAF)
#define FMA(s, x, y) ((s) = __builtin_fmaf((x), (y), (s)))
#else
#define FMA(s, x, y) ((s) += (x) * (y))
#endif

#define MR 4u
#define NR 4u

void qlr_matmul_f32_part(uint32_t m, uint32_t n, unsigned id, unsigned count, qlr_matmul_f32_part_t *part)
{
    uint32_t rb = (m + MR - 1u) / MR, cb = (n + NR - 1u) / NR;
    if (count < 1u) {
        count = 1u;
    }
    /* Work of the busiest core (in C elements) under each split. */
    uint64_t by_rows = (uint64_t)((rb + count - 1u) / count) * MR * n;
    uint64_t by_cols = (uint64_t)((cb + count - 1u) / count) * NR * m;
    uint32_t b0, b1;
    part->i0 = 0;
    part->i1 = m;
    part->j0 = 0;
    part->j1 = n;
    if (by_rows <= by_cols) {
        qlr_share(rb, id, count, &b0, &b1);
        part->i0 = b0 * MR < m ? b0 * MR : m;
        part->i1 = b1 * MR < m ? b1 * MR : m;
    } else {
        qlr_share(cb, id, count, &b0, &b1);
        part->j0 = b0 * NR < n ? b0 * NR : n;
        part->j1 = b1 * NR < n ? b1 * NR : n;
    }
}

/* ---- stores: C = acc (+ bias) or C += acc -------------------------------------------------- */

static inline void store4(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j, float v0, float v1, float v2,
                          float v3)
{
    float *c = p->c + (size_t)i * p->ldc + j;
    if (p->accumulate) {
        c[0] += v0;
        c[1] += v1;
        c[2] += v2;
        c[3] += v3;
    } else if (p->bias != NULL) {
        const float *b = p->bias + j;
        c[0] = b[0] + v0;
        c[1] = b[1] + v1;
        c[2] = b[2] + v2;
        c[3] = b[3] + v3;
    } else {
        c[0] = v0;
        c[1] = v1;
        c[2] = v2;
        c[3] = v3;
    }
}

static inline void store1(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j, float v)
{
    float *c = p->c + (size_t)i * p->ldc + j;
    if (p->accumulate) {
        *c += v;
    } else {
        *c = (p->bias != NULL ? p->bias[j] : 0.0f) + v;
    }
}

#define ACC_4X4                                                                                                   \
    float s00 = 0.0f, s01 = 0.0f, s02 = 0.0f, s03 = 0.0f, s10 = 0.0f, s11 = 0.0f, s12 = 0.0f, s13 = 0.0f,        \
          s20 = 0.0f, s21 = 0.0f, s22 = 0.0f, s23 = 0.0f, s30 = 0.0f, s31 = 0.0f, s32 = 0.0f, s33 = 0.0f

#define FMA_4X4(x0, x1, x2, x3, y0, y1, y2, y3)                                                                   \
    do {                                                                                                          \
        FMA(s00, x0, y0); FMA(s01, x0, y1); FMA(s02, x0, y2); FMA(s03, x0, y3);                                   \
        FMA(s10, x1, y0); FMA(s11, x1, y1); FMA(s12, x1, y2); FMA(s13, x1, y3);                                   \
        FMA(s20, x2, y0); FMA(s21, x2, y1); FMA(s22, x2, y2); FMA(s23, x2, y3);                                   \
        FMA(s30, x3, y0); FMA(s31, x3, y1); FMA(s32, x3, y2); FMA(s33, x3, y3);                                   \
    } while (0)

/* C rows i..i+3, columns j..j+3: the mode is tested once per block. */
#define STORE_ROW_ACC(c, v0, v1, v2, v3) (c)[0] += (v0), (c)[1] += (v1), (c)[2] += (v2), (c)[3] += (v3)
#define STORE_ROW_SET(c, v0, v1, v2, v3) (c)[0] = (v0), (c)[1] = (v1), (c)[2] = (v2), (c)[3] = (v3)
#define STORE_4X4(p, i, j)                                                                                        \
    do {                                                                                                          \
        const size_t ldc_ = (p)->ldc;                                                                             \
        float *c_ = (p)->c + (size_t)(i) * ldc_ + (j);                                                            \
        if ((p)->accumulate) {                                                                                    \
            STORE_ROW_ACC(c_, s00, s01, s02, s03);                                                                \
            STORE_ROW_ACC(c_ + ldc_, s10, s11, s12, s13);                                                         \
            STORE_ROW_ACC(c_ + 2u * ldc_, s20, s21, s22, s23);                                                    \
            STORE_ROW_ACC(c_ + 3u * ldc_, s30, s31, s32, s33);                                                    \
        } else {                                                                                                  \
            float b0_ = 0.0f, b1_ = 0.0f, b2_ = 0.0f, b3_ = 0.0f;                                                 \
            if ((p)->bias != NULL) {                                                                              \
                const float *bp_ = (p)->bias + (j);                                                               \
                b0_ = bp_[0], b1_ = bp_[1], b2_ = bp_[2], b3_ = bp_[3];                                           \
            }                                                                                                     \
            STORE_ROW_SET(c_, b0_ + s00, b1_ + s01, b2_ + s02, b3_ + s03);                                        \
            STORE_ROW_SET(c_ + ldc_, b0_ + s10, b1_ + s11, b2_ + s12, b3_ + s13);                                 \
            STORE_ROW_SET(c_ + 2u * ldc_, b0_ + s20, b1_ + s21, b2_ + s22, b3_ + s23);                            \
            STORE_ROW_SET(c_ + 3u * ldc_, b0_ + s30, b1_ + s31, b2_ + s32, b3_ + s33);                            \
        }                                                                                                         \
    } while (0)

/*
 * Operand walkers. A block reads, for every k, MR values of A (rows i..i+3 of C) and NR values
 * of B (columns j..j+3). ROWS: the 4 values sit in 4 rows that are contiguous along k (one
 * pointer per row, +1 per k). LINE: the 4 values are adjacent (one pointer, + ld per k).
 */

/* nn: A rows (k-contiguous), B line. nt: A rows, B rows. tn: A line, B line. */

static void nn_4x4(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j)
{
    const size_t lda = p->lda, ldb = p->ldb;
    const float *a0 = p->a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const float *b = p->b + j;
    ACC_4X4;
    for (uint32_t t = 0; t < p->k; t++) {
        const float x0 = a0[t], x1 = a1[t], x2 = a2[t], x3 = a3[t];
        const float y0 = b[0], y1 = b[1], y2 = b[2], y3 = b[3];
        b += ldb;
        FMA_4X4(x0, x1, x2, x3, y0, y1, y2, y3);
    }
    STORE_4X4(p, i, j);
}

static void nt_4x4(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j)
{
    const size_t lda = p->lda, ldb = p->ldb;
    const float *a0 = p->a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const float *b0 = p->b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    ACC_4X4;
    for (uint32_t t = 0; t < p->k; t++) {
        const float x0 = a0[t], x1 = a1[t], x2 = a2[t], x3 = a3[t];
        const float y0 = b0[t], y1 = b1[t], y2 = b2[t], y3 = b3[t];
        FMA_4X4(x0, x1, x2, x3, y0, y1, y2, y3);
    }
    STORE_4X4(p, i, j);
}

static void tn_4x4(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j)
{
    const size_t lda = p->lda, ldb = p->ldb;
    const float *a = p->a + i, *b = p->b + j;
    ACC_4X4;
    for (uint32_t t = 0; t < p->k; t++) {
        const float x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
        const float y0 = b[0], y1 = b[1], y2 = b[2], y3 = b[3];
        a += lda;
        b += ldb;
        FMA_4X4(x0, x1, x2, x3, y0, y1, y2, y3);
    }
    STORE_4X4(p, i, j);
}

/*
 * Fixed-stride 4x4 blocks: the same products when the leading dimensions of A and B are known
 * at compile time (the tiled executors lay their L1 tiles out so). Every operand of a block is
 * then read through ONE pointer with immediate offsets, K is unrolled by 4, and the inner loop
 * is 32 loads + 64 multiply-adds + 2 pointer bumps + 1 branch for 64 MACs. AX(r, u) and BX(c, u)
 * are the offsets of A's row-block index r and B's column index c at depth t + u from the block's
 * pointers; ASTEP and BSTEP advance them by 4 in k.
 */
#define FIXED_4X4(name, A0, B0, AX, BX, ASTEP, BSTEP)                                                      \
    static void name(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j)                                    \
    {                                                                                                           \
        const float *a = p->a + (A0), *b = p->b + (B0);                                                         \
        const float *a_end = a + (size_t)(p->k / 4u) * (ASTEP);                                                 \
        ACC_4X4;                                                                                                \
        for (; a != a_end; a += (ASTEP), b += (BSTEP)) {                                                        \
            FMA_4X4(a[AX(0, 0)], a[AX(1, 0)], a[AX(2, 0)], a[AX(3, 0)], b[BX(0, 0)], b[BX(1, 0)], b[BX(2, 0)],   \
                    b[BX(3, 0)]);                                                                               \
            FMA_4X4(a[AX(0, 1)], a[AX(1, 1)], a[AX(2, 1)], a[AX(3, 1)], b[BX(0, 1)], b[BX(1, 1)], b[BX(2, 1)],   \
                    b[BX(3, 1)]);                                                                               \
            FMA_4X4(a[AX(0, 2)], a[AX(1, 2)], a[AX(2, 2)], a[AX(3, 2)], b[BX(0, 2)], b[BX(1, 2)], b[BX(2, 2)],   \
                    b[BX(3, 2)]);                                                                               \
            FMA_4X4(a[AX(0, 3)], a[AX(1, 3)], a[AX(2, 3)], a[AX(3, 3)], b[BX(0, 3)], b[BX(1, 3)], b[BX(2, 3)],   \
                    b[BX(3, 3)]);                                                                               \
        }                                                                                                       \
        for (uint32_t t = p->k & 3u; t > 0u; t--, a += (ASTEP) / 4u, b += (BSTEP) / 4u) {                       \
            FMA_4X4(a[AX(0, 0)], a[AX(1, 0)], a[AX(2, 0)], a[AX(3, 0)], b[BX(0, 0)], b[BX(1, 0)], b[BX(2, 0)],   \
                    b[BX(3, 0)]);                                                                               \
        }                                                                                                       \
        STORE_4X4(p, i, j);                                                                                     \
    }

/* Offsets: a k-contiguous row operand (A of nn/nt, B of nt) has index r at r*LD + u; a
 * block-contiguous line operand (A of tn, B of nn/tn) has it at u*LD + r. */
#define ROW_X(LD, r, u) ((r) * (LD) + (u))
#define LINE_X(LD, r, u) ((u) * (LD) + (r))
#define NT64_AX(r, u) ROW_X(64u, r, u)
#define NT64_BX(c, u) ROW_X(64u, c, u)
#define NN64_AX(r, u) ROW_X(64u, r, u)
#define NN64_BX(c, u) LINE_X(64u, c, u)
#define TN32_AX(r, u) LINE_X(32u, r, u)
#define TN32_BX(c, u) LINE_X(32u, c, u)
FIXED_4X4(nt_4x4_64, (size_t)i * 64u, (size_t)j * 64u, NT64_AX, NT64_BX, 4u, 4u)
FIXED_4X4(nn_4x4_64, (size_t)i * 64u, j, NN64_AX, NN64_BX, 4u, (size_t)4u * 64u)
FIXED_4X4(tn_4x4_32, i, j, TN32_AX, TN32_BX, (size_t)4u * 32u, (size_t)4u * 32u)

/* Edge blocks: 4x1 (a column left over), 1x4 (a row left over), 1x1 (the corner). The A (or B)
 * element of index i at depth t is at a[i*ais + t*aks] (b[j*bjs + t*bks]). */

typedef struct {
    size_t ais, aks, bjs, bks;
} strides_t;

static void block_4x1(const qlr_matmul_f32_args_t *p, const strides_t *s, uint32_t i, uint32_t j)
{
    const float *a = p->a + i * s->ais, *b = p->b + j * s->bjs;
    const size_t ais = s->ais;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (uint32_t t = 0; t < p->k; t++) {
        const float y = *b;
        FMA(s0, a[0], y);
        FMA(s1, a[ais], y);
        FMA(s2, a[2u * ais], y);
        FMA(s3, a[3u * ais], y);
        a += s->aks;
        b += s->bks;
    }
    store1(p, i + 0u, j, s0);
    store1(p, i + 1u, j, s1);
    store1(p, i + 2u, j, s2);
    store1(p, i + 3u, j, s3);
}

static void block_1x4(const qlr_matmul_f32_args_t *p, const strides_t *s, uint32_t i, uint32_t j)
{
    const float *a = p->a + i * s->ais, *b = p->b + j * s->bjs;
    const size_t bjs = s->bjs;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (uint32_t t = 0; t < p->k; t++) {
        const float x = *a;
        FMA(s0, x, b[0]);
        FMA(s1, x, b[bjs]);
        FMA(s2, x, b[2u * bjs]);
        FMA(s3, x, b[3u * bjs]);
        a += s->aks;
        b += s->bks;
    }
    store4(p, i, j, s0, s1, s2, s3);
}

static void block_1x1(const qlr_matmul_f32_args_t *p, const strides_t *s, uint32_t i, uint32_t j)
{
    const float *a = p->a + i * s->ais, *b = p->b + j * s->bjs;
    float s0 = 0.0f, s1 = 0.0f;
    uint32_t t = 0;
    for (; t + 1u < p->k; t += 2u) { /* two chains: the FPU latency is not on one sum */
        FMA(s0, a[0], b[0]);
        FMA(s1, a[s->aks], b[s->bks]);
        a += 2u * s->aks;
        b += 2u * s->bks;
    }
    if (t < p->k) {
        FMA(s0, a[0], b[0]);
    }
    store1(p, i, j, s0 + s1);
}

typedef void (*block_fn)(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j);

/* C[i0:i1][j0:j1] of one core. */
static void run_part(const qlr_matmul_f32_args_t *p, const strides_t *s, block_fn full,
                     const qlr_matmul_f32_part_t *r)
{
    uint32_t i = r->i0;
    uint32_t jf = r->j0 + (r->j1 - r->j0) / NR * NR; /* end of the full 4-column blocks */
    for (; i + MR <= r->i1; i += MR) {
        for (uint32_t j = r->j0; j < jf; j += NR) {
            full(p, i, j);
        }
        for (uint32_t j = jf; j < r->j1; j++) {
            block_4x1(p, s, i, j);
        }
    }
    for (; i < r->i1; i++) {
        for (uint32_t j = r->j0; j < jf; j += NR) {
            block_1x4(p, s, i, j);
        }
        for (uint32_t j = jf; j < r->j1; j++) {
            block_1x1(p, s, i, j);
        }
    }
}

static void run(const qlr_matmul_f32_args_t *p, const strides_t *s, block_fn full)
{
    qlr_matmul_f32_part_t r;
    qlr_matmul_f32_part(p->m, p->n, qlr_core_id(), qlr_core_count(), &r);
    run_part(p, s, full, &r);
}

void qlr_matmul_f32_nn_share(const qlr_matmul_f32_args_t *p)
{
    const strides_t s = {.ais = p->lda, .aks = 1u, .bjs = 1u, .bks = p->ldb};
    run(p, &s, p->lda == 64u && p->ldb == 64u ? nn_4x4_64 : nn_4x4);
}

void qlr_matmul_f32_nt_share(const qlr_matmul_f32_args_t *p)
{
    const strides_t s = {.ais = p->lda, .aks = 1u, .bjs = p->ldb, .bks = 1u};
    run(p, &s, p->lda == 64u && p->ldb == 64u ? nt_4x4_64 : nt_4x4);
}

void qlr_matmul_f32_tn_share(const qlr_matmul_f32_args_t *p)
{
    const strides_t s = {.ais = 1u, .aks = p->lda, .bjs = 1u, .bks = p->ldb};
    run(p, &s, p->lda == 32u && p->ldb == 32u ? tn_4x4_32 : tn_4x4);
}

/* ---- the team kernels: checks, this core's part, barrier ---------------------------------- */

/* A is a_rows x a_cols and B is b_rows x b_cols as stored (row-major, leading dimensions lda,
 * ldb); C is m x n. */
static qlr_status_t check(const qlr_matmul_f32_args_t *p, uint32_t a_rows, uint32_t a_cols, uint32_t b_rows,
                          uint32_t b_cols)
{
    if (p->a == NULL || p->b == NULL || p->c == NULL || p->m == 0u || p->n == 0u || p->k == 0u ||
        (p->accumulate != 0 && p->accumulate != 1)) {
        return QLR_E_ARG;
    }
    if (p->lda < a_cols || p->ldb < b_cols || p->ldc < p->n) {
        return QLR_E_ARG;
    }
    if (qlr_elems2(a_rows, p->lda) == 0u || qlr_elems2(b_rows, p->ldb) == 0u || qlr_elems2(p->m, p->ldc) == 0u) {
        return QLR_E_SIZE;
    }
    return QLR_OK;
}

qlr_status_t qlr_matmul_f32_nn(const qlr_matmul_f32_args_t *p)
{
    qlr_status_t st = check(p, p->m, p->k, p->k, p->n);
    if (st == QLR_OK) {
        qlr_matmul_f32_nn_share(p);
        qlr_team_barrier();
    }
    return st;
}

qlr_status_t qlr_matmul_f32_nt(const qlr_matmul_f32_args_t *p)
{
    qlr_status_t st = check(p, p->m, p->k, p->n, p->k);
    if (st == QLR_OK) {
        qlr_matmul_f32_nt_share(p);
        qlr_team_barrier();
    }
    return st;
}

qlr_status_t qlr_matmul_f32_tn(const qlr_matmul_f32_args_t *p)
{
    qlr_status_t st = check(p, p->k, p->m, p->k, p->n);
    if (st == QLR_OK) {
        qlr_matmul_f32_tn_share(p);
        qlr_team_barrier();
    }
    return st;
}
