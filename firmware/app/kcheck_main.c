/* kcheck.elf: the kernel-contract checks (kcheck/kcheck.h). Prints one parsable summary line:
 *   qlr-kcheck: N passed, M failed, cores T
 * and exits with 0 only when nothing failed. */
#include "kcheck/kcheck.h"
#include "qlr/runtime.h"

static const qlr_selftest_t k_checks[] = {
    {.name = "sizes_int8", .fn = kc_sizes_int8},
    {.name = "sizes_f32", .fn = kc_sizes_f32},
    {.name = "barrier_int8", .fn = kc_barrier_int8},
    {.name = "barrier_f32", .fn = kc_barrier_f32},
    {.name = "barrier_tiled", .fn = kc_barrier_tiled},
};

int qlr_app_main(void)
{
    unsigned passed = 0, failed = 0;
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
    }
    qlr_printf("qlr-kcheck: %u passed, %u failed, cores %u\n", passed, failed, qlr_team_max());
    return failed == 0u ? 0 : 1;
}
