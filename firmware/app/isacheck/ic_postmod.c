/* p.lw, p.lbu, p.sw, p.sb with post-increment against their C meaning: the value (little-endian,
 * any alignment) and the pointer moved by the step, forwards and backwards (isacheck.h). */
#include <string.h>

#include "isacheck/isacheck.h"
#include "qlr/pulp/xpulp_postmod.h"

static uint32_t word_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void postmod_body(ic_result_t *r, unsigned core)
{
    uint8_t buf[64];
    uint32_t seed = 0xc2b2ae35u * (core + 5u);
    for (unsigned round = 0; round < 4u; round++) {
        for (unsigned i = 0; i < sizeof buf; i++) {
            buf[i] = (uint8_t)st_rand(&seed);
        }
        for (unsigned off = 0; off < 4u; off++) { /* every alignment */
            const uint8_t *p = buf + off;
            for (unsigned k = 0; k < 5u; k++) {
                uint32_t want = word_at(buf + off + 4u * k);
                ic_expect(r, "p.lw 4", qlr_xpulp_lw_post(&p, 4), want, off, k);
            }
            ic_expect(r, "p.lw 4 pointer", (uint32_t)(p - buf), off + 20u, off, 0);
            p = buf + 40 + off;
            ic_expect(r, "p.lw -12", qlr_xpulp_lw_post(&p, -12), word_at(buf + 40 + off), off, 0);
            ic_expect(r, "p.lw -12 pointer", (uint32_t)(p - buf), 28u + off, off, 0);
            ic_expect(r, "p.lw 0", qlr_xpulp_lw_post(&p, 0), word_at(buf + 28 + off), off, 0);
            ic_expect(r, "p.lw 0 pointer", (uint32_t)(p - buf), 28u + off, off, 0);
            p = buf + off;
            for (unsigned k = 0; k < 6u; k++) {
                ic_expect(r, "p.lbu 3", qlr_xpulp_lbu_post(&p, 3), buf[off + 3u * k], off, k);
            }
            ic_expect(r, "p.lbu 3 pointer", (uint32_t)(p - buf), off + 18u, off, 0);
            p = buf + 60 - off;
            ic_expect(r, "p.lbu -1", qlr_xpulp_lbu_post(&p, -1), buf[60 - off], off, 0);
            ic_expect(r, "p.lbu -1 pointer", (uint32_t)(p - buf), 59u - off, off, 0);

            uint8_t want[64];
            memcpy(want, buf, sizeof want);
            uint8_t *q = buf + 8 + off;
            uint32_t v0 = st_rand(&seed), v1 = st_rand(&seed), v2 = st_rand(&seed);
            qlr_xpulp_sw_post(&q, v0, 4);
            qlr_xpulp_sw_post(&q, v1, 8);
            ic_expect(r, "p.sw pointer", (uint32_t)(q - buf), 20u + off, off, 0);
            qlr_xpulp_sb_post(&q, v2, -7);
            ic_expect(r, "p.sb pointer", (uint32_t)(q - buf), 13u + off, off, 0);
            for (unsigned i = 0; i < 4u; i++) {
                want[8u + off + i] = (uint8_t)(v0 >> (8u * i));
                want[12u + off + i] = (uint8_t)(v1 >> (8u * i));
            }
            want[20u + off] = (uint8_t)v2;
            for (unsigned i = 0; i < sizeof buf; i++) {
                ic_expect(r, "p.sw/p.sb memory", buf[i], want[i], off, i);
            }
        }
    }
}

void ic_postmod(qlr_selftest_ctx_t *ctx)
{
    ic_on_every_core(ctx, postmod_body);
}
