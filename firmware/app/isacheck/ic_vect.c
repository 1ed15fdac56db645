/* pv.sdotusp.b, pv.sdotsp.b, pv.sdotup.b against their C meaning (isacheck.h). */
#include "isacheck/isacheck.h"
#include "qlr/pulp/xpulp_vect.h"

static uint32_t dot_ref(uint32_t acc, uint32_t a, uint32_t b, int a_signed, int b_signed)
{
    for (unsigned i = 0; i < 4u; i++) {
        uint32_t ab = (a >> (8u * i)) & 0xffu, bb = (b >> (8u * i)) & 0xffu;
        int32_t x = a_signed ? (int32_t)(int8_t)ab : (int32_t)ab;
        int32_t y = b_signed ? (int32_t)(int8_t)bb : (int32_t)bb;
        acc += (uint32_t)(x * y);
    }
    return acc;
}

static void vect_body(ic_result_t *r, unsigned core)
{
    static const uint32_t edge[] = {0u, 0xffffffffu, 0x80808080u, 0x7f7f7f7fu, 0x01ff80u, 0x807f01ffu};
    uint32_t seed = 0x9e3779b9u * (core + 1u);
    for (unsigned i = 0; i < 300u; i++) {
        uint32_t a = st_rand(&seed), b = st_rand(&seed), acc = st_rand(&seed);
        if (i < 36u) {
            a = edge[i % 6u];
            b = edge[i / 6u];
            acc = i & 1u ? 0x7fffffffu : 0u; /* and wrap-around past 2^31 */
        }
        ic_expect(r, "pv.sdotusp.b", qlr_xpulp_sdotusp_b(acc, a, b), dot_ref(acc, a, b, 0, 1), a, b);
        ic_expect(r, "pv.sdotsp.b", qlr_xpulp_sdotsp_b(acc, a, b), dot_ref(acc, a, b, 1, 1), a, b);
        ic_expect(r, "pv.sdotup.b", qlr_xpulp_sdotup_b(acc, a, b), dot_ref(acc, a, b, 0, 0), a, b);
    }
}

void ic_vect(qlr_selftest_ctx_t *ctx)
{
    ic_on_every_core(ctx, vect_body);
}
