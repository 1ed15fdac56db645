/* isacheck.elf (pulp-open): the Xpulpv2 intrinsics of qlr/pulp/ on every cluster core against
 * their C meaning (isacheck/isacheck.h). Prints one parsable summary line:
 *   qlr-isacheck: N passed, M failed, cores T
 * and exits with 0 only when nothing failed. */
#include "isacheck/isacheck.h"
#include "qlr/runtime.h"

static const qlr_selftest_t k_checks[] = {
    {.name = "vect", .fn = ic_vect},
    {.name = "postmod", .fn = ic_postmod},
    {.name = "hwloop", .fn = ic_hwloop},
    {.name = "mac", .fn = ic_mac},
};

int qlr_app_main(void)
{
    unsigned passed = 0, failed = 0, cores = 0;
    for (unsigned i = 0; i < sizeof k_checks / sizeof k_checks[0]; i++) {
        qlr_selftest_ctx_t ctx = {.test = k_checks[i].name, .failed_checks = 0, .cores_seen = 0};
        k_checks[i].fn(&ctx);
        if (ctx.failed_checks == 0u) {
            passed++;
            qlr_printf("ok   %s\n", ctx.test);
        } else {
            failed++;
            qlr_printf("FAIL %s (%u checks failed)\n", ctx.test, ctx.failed_checks);
        }
        cores = ctx.cores_seen;
    }
    qlr_printf("qlr-isacheck: %u passed, %u failed, cores %u\n", passed, failed, cores);
    return failed == 0u ? 0 : 1;
}
