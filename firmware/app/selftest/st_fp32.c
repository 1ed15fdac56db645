/* Self-test of FP32 arithmetic on every core of the team (each core must have its FPU on).
 * Inputs go through volatile variables so the compiler cannot fold the arithmetic away;
 * every expected value is exact in IEEE-754 single precision with round-to-nearest-even. */
#include <math.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

#define MAX_CORES 64

static volatile float g_one = 1.0f, g_two = 2.0f, g_three = 3.0f, g_half = 0.5f;
static volatile unsigned g_core_errors[MAX_CORES];
static volatile unsigned g_core_ran[MAX_CORES];

static unsigned fp32_checks(void)
{
    unsigned errors = 0;
    /* Sum of k*k for k = 1..100 is 338350: every partial sum is exact in float. */
    float acc = 0.0f;
    for (int k = 1; k <= 100; k++) {
        float fk = (float)k * g_one;
        acc += fk * fk;
    }
    errors += acc != 338350.0f;
    /* Division and multiplication round back exactly: (1/3)*3 == 1 in binary32. */
    errors += (g_one / g_three) * g_three != 1.0f;
    /* 2^24 + 1 is not representable: rounds to even, 16777216. */
    float big = 16777216.0f * g_one;
    errors += big + g_one != 16777216.0f;
    errors += big + g_two != 16777218.0f;
    /* Fused or not, 0.5*3 - 1 = 0.5 exactly. */
    errors += g_half * g_three - g_one != 0.5f;
    /* sqrt(4) is exact; sqrt(2)^2 is within one ulp of 2. */
    errors += sqrtf(g_two * g_two) != 2.0f;
    float r2 = sqrtf(g_two);
    errors += fabsf(r2 * r2 - 2.0f) > 2.4e-7f;
    /* Conversions truncate toward zero; negatives and comparisons. */
    errors += (int)(-2.5f * g_one) != -2;
    errors += (int)(7.99f * g_one) != 7;
    errors += (float)(int)(-3 * (int)g_one) != -3.0f;
    errors += !(-g_one < g_half);
    /* NaN compares unequal to itself; infinities behave. */
    volatile float zero = 0.0f;
    float nan = zero / zero;
    errors += nan == nan;
    float inf = g_one / zero;
    errors += !(inf > 3.0e38f) || -inf >= -3.0e38f;
    /* A dot product of the kind the training kernels do: 1..16 . 16..1 = 816. */
    float dot = 0.0f;
    for (int i = 1; i <= 16; i++)
        dot += (float)i * g_one * (float)(17 - i);
    errors += dot != 816.0f;
    return errors;
}

static void fp32_task(void *arg)
{
    (void)arg;
    unsigned id = qlr_core_id();
    if (id < MAX_CORES) {
        g_core_errors[id] = fp32_checks();
        g_core_ran[id] = 1;
    }
}

void st_fp32(qlr_selftest_ctx_t *ctx)
{
    st_check(ctx, fp32_checks() == 0, "controller: %u FP32 checks wrong", fp32_checks());
    unsigned n = qlr_team_max();
    for (unsigned i = 0; i < MAX_CORES; i++)
        g_core_errors[i] = 0, g_core_ran[i] = 0;
    qlr_team_fork(n, fp32_task, 0);
    for (unsigned i = 0; i < n && i < MAX_CORES; i++)
        st_check(ctx, g_core_ran[i] && g_core_errors[i] == 0, "core %u: ran %u, %u FP32 checks wrong",
                 i, g_core_ran[i], g_core_errors[i]);
}
