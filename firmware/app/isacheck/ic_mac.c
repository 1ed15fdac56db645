/* p.mac and the clips against their C meaning (isacheck.h). */
#include "isacheck/isacheck.h"
#include "qlr/pulp/xpulp_mac.h"

static int32_t clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static void mac_body(ic_result_t *r, unsigned core)
{
    uint32_t seed = 0x85ebca6bu * (core + 3u);
    for (unsigned i = 0; i < 300u; i++) {
        uint32_t a = st_rand(&seed), b = st_rand(&seed), acc = st_rand(&seed);
        ic_expect(r, "p.mac", qlr_xpulp_mac(acc, a, b), acc + a * b, a, b);
        /* values around the bounds: a shifted right by a random amount, either sign */
        int32_t v = (int32_t)a >> (b & 31u);
        int32_t hi = (int32_t)((st_rand(&seed) >> (st_rand(&seed) & 31u)) & 0x7fffffffu);
        if (i < 8u) {
            hi = (int32_t)(i * 40u); /* 0 and small bounds */
        }
        ic_expect(r, "p.clip", (uint32_t)qlr_xpulp_clip(v, hi), (uint32_t)clamp(v, -hi - 1, hi), (uint32_t)v,
                  (uint32_t)hi);
        ic_expect(r, "p.clipu", (uint32_t)qlr_xpulp_clipu(v, hi), (uint32_t)clamp(v, 0, hi), (uint32_t)v, (uint32_t)hi);
        int32_t s = (int32_t)(a >> 20) - 2048; /* -2048..2047 */
        ic_expect(r, "p.clipi 9", (uint32_t)qlr_xpulp_clipi(s, 9), (uint32_t)clamp(s, -256, 255), (uint32_t)s, 9u);
        ic_expect(r, "p.clipui 9", (uint32_t)qlr_xpulp_clipui(s, 9), (uint32_t)clamp(s, 0, 255), (uint32_t)s, 9u);
        ic_expect(r, "p.clipi 1", (uint32_t)qlr_xpulp_clipi(s, 1), (uint32_t)clamp(s, -1, 0), (uint32_t)s, 1u);
        ic_expect(r, "p.clipui 31", (uint32_t)qlr_xpulp_clipui(v, 31), (uint32_t)clamp(v, 0, 0x3fffffff), (uint32_t)v,
                  31u);
    }
}

void ic_mac(qlr_selftest_ctx_t *ctx)
{
    ic_on_every_core(ctx, mac_body);
}
