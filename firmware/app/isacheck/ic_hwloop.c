/* lp.setup and lp.setupi: how often the body runs, for register counts 1..40, constant counts,
 * and loop 1 around loop 0 (isacheck.h). Each body adds to two registers, so both the count and
 * the whole body (start and end) are checked. */
#include "isacheck/isacheck.h"
#include "qlr/pulp/xpulp_hwloop.h"

static void hwloop_body(ic_result_t *r, unsigned core)
{
    for (uint32_t n = 1; n <= 40u + core; n++) {
        uint32_t a = 0, b = 7;
        __asm__ volatile(QLR_XPULP_LOOP(0, "%[n]", 2) /* body: 2 instructions */
                         "addi %[a], %[a], 1\n"
                         "addi %[b], %[b], 3\n" QLR_XPULP_LOOP_END
                         : [a] "+r"(a), [b] "+r"(b)
                         : [n] "r"(n));
        ic_expect(r, "lp.setup count", a, n, n, 0);
        ic_expect(r, "lp.setup body end", b, 7u + 3u * n, n, 0);
    }
    uint32_t a = 0, b = 0, c = 0;
    __asm__ volatile(QLR_XPULP_LOOPI(0, 37, 3) /* 37 times, 3 instructions */
                     "addi %[a], %[a], 1\n"
                     "add %[b], %[b], %[a]\n"
                     "addi %[c], %[c], 2\n" QLR_XPULP_LOOP_END
                     : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c));
    ic_expect(r, "lp.setupi count", a, 37u, 0, 0);
    ic_expect(r, "lp.setupi body", b, 37u * 38u / 2u, 0, 0);
    ic_expect(r, "lp.setupi body end", c, 74u, 0, 0);

    /* nested: loop 1 (outer, m times) = { loop 0 (inner, n times) = { 2 insns }, 1 insn } */
    uint32_t m = 3u + core, n = 5u, inner = 0, outer = 0;
    a = 0;
    __asm__ volatile(QLR_XPULP_LOOP(1, "%[m]", 4) /* 4 instructions: setup, 2 inner, 1 outer */
                     QLR_XPULP_LOOP(0, "%[n]", 2)
                     "addi %[i], %[i], 1\n"
                     "addi %[a], %[a], 2\n" QLR_XPULP_LOOP_END
                     "addi %[o], %[o], 1\n" QLR_XPULP_LOOP_END
                     : [i] "+r"(inner), [o] "+r"(outer), [a] "+r"(a)
                     : [m] "r"(m), [n] "r"(n));
    ic_expect(r, "nested inner", inner, m * n, m, n);
    ic_expect(r, "nested inner end", a, 2u * m * n, m, n);
    ic_expect(r, "nested outer", outer, m, m, n);
}

void ic_hwloop(qlr_selftest_ctx_t *ctx)
{
    ic_on_every_core(ctx, hwloop_body);
}
