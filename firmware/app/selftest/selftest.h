/*
 * The runtime self-test: checks that a board's runtime does what runtime.h promises
 * (every core runs, barriers hold, copies are byte-exact, L3 round-trips, FP32 is right, the
 * counter advances). Used by selftest.elf and by the link server's SELFTEST command.
 */
#ifndef QLR_SELFTEST_H
#define QLR_SELFTEST_H

#include <stdint.h>

typedef struct {
    unsigned passed, failed;
    unsigned cores_seen, cores_max; /* worker cores that ran in the team test */
    uint64_t counter;               /* counter ticks taken by the run (qlr_counter_unit()) */
} qlr_selftest_result_t;

/* Context handed to each test: record checks with st_check(). */
typedef struct {
    const char *test;
    unsigned failed_checks;
    unsigned cores_seen;
} qlr_selftest_ctx_t;

typedef void (*qlr_selftest_fn)(qlr_selftest_ctx_t *ctx);

typedef struct {
    const char *name;
    qlr_selftest_fn fn;
} qlr_selftest_t;

/* Runs the test called `name` (NULL or "all": every test), adding to *res. Prints one line per
 * failed check and `ok NAME` / `FAIL NAME` per test. Returns 0, or -1 if no test has that name. */
int qlr_selftest_run(const char *name, qlr_selftest_result_t *res);

/* Number of tests and the i-th one (for listing). */
unsigned qlr_selftest_count(void);
const qlr_selftest_t *qlr_selftest_get(unsigned i);

/* Records a check; prints the first failures of a test with their detail. */
void st_check(qlr_selftest_ctx_t *ctx, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tests, one family per file. */
void st_team_fork(qlr_selftest_ctx_t *ctx);
void st_team_join(qlr_selftest_ctx_t *ctx);
void st_barrier(qlr_selftest_ctx_t *ctx);
void st_copy_1d(qlr_selftest_ctx_t *ctx);
void st_copy_2d(qlr_selftest_ctx_t *ctx);
void st_copy_team(qlr_selftest_ctx_t *ctx);
void st_memory_regions(qlr_selftest_ctx_t *ctx);
void st_l3(qlr_selftest_ctx_t *ctx);
void st_l3_large(qlr_selftest_ctx_t *ctx);
void st_l3_team(qlr_selftest_ctx_t *ctx);
void st_fp32(qlr_selftest_ctx_t *ctx);
void st_counter(qlr_selftest_ctx_t *ctx);

/* A small deterministic generator for test data. */
static inline uint32_t st_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
