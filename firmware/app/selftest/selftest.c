/* The self-test registry and runner. */
#include <stdarg.h>
#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

#define MAX_REPORTED_FAILURES 5

static const qlr_selftest_t k_tests[] = {
    {.name = "team_fork", .fn = st_team_fork},
    {.name = "team_join", .fn = st_team_join},
    {.name = "barrier", .fn = st_barrier},
    {.name = "copy_1d", .fn = st_copy_1d},
    {.name = "copy_2d", .fn = st_copy_2d},
    {.name = "copy_team", .fn = st_copy_team},
    {.name = "memory_regions", .fn = st_memory_regions},
    {.name = "l3", .fn = st_l3},
    {.name = "l3_large", .fn = st_l3_large},
    {.name = "l3_team", .fn = st_l3_team},
    {.name = "fp32", .fn = st_fp32},
    {.name = "counter", .fn = st_counter},
};

unsigned qlr_selftest_count(void) { return sizeof k_tests / sizeof k_tests[0]; }

const qlr_selftest_t *qlr_selftest_get(unsigned i)
{
    return i < qlr_selftest_count() ? &k_tests[i] : 0;
}

void st_check(qlr_selftest_ctx_t *ctx, int ok, const char *fmt, ...)
{
    if (ok)
        return;
    if (ctx->failed_checks++ < MAX_REPORTED_FAILURES) {
        va_list ap;
        va_start(ap, fmt);
        qlr_printf("  check failed in %s: ", ctx->test);
        qlr_vprintf(fmt, ap);
        qlr_puts("\n");
        va_end(ap);
    }
}

int qlr_selftest_run(const char *name, qlr_selftest_result_t *res)
{
    int all = name == 0 || strcmp(name, "all") == 0;
    int matched = 0;
    uint64_t t0 = qlr_counter();
    for (unsigned i = 0; i < qlr_selftest_count(); i++) {
        const qlr_selftest_t *t = &k_tests[i];
        if (!all && strcmp(name, t->name) != 0)
            continue;
        matched = 1;
        qlr_selftest_ctx_t ctx = {.test = t->name, .failed_checks = 0, .cores_seen = 0};
        t->fn(&ctx);
        if (ctx.cores_seen > res->cores_seen)
            res->cores_seen = ctx.cores_seen;
        if (ctx.failed_checks == 0) {
            res->passed++;
            qlr_printf("ok   %s\n", t->name);
        } else {
            res->failed++;
            qlr_printf("FAIL %s (%u checks failed)\n", t->name, ctx.failed_checks);
        }
    }
    res->cores_max = qlr_team_max();
    res->counter += qlr_counter() - t0;
    return matched ? 0 : -1;
}
