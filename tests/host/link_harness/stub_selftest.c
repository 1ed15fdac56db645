/*
 * Self-tests with known outcomes for testing the server's SELFTEST command with the stub
 * runtime: "pass" passes 3 checks, "fail" passes 1 and fails 2, NULL/"all" runs both.
 */
#include <string.h>

#include "selftest/selftest.h"

int qlr_selftest_run(const char *name, qlr_selftest_result_t *res)
{
    int all = name == NULL || strcmp(name, "all") == 0;
    if (!all && strcmp(name, "pass") != 0 && strcmp(name, "fail") != 0) {
        return -1;
    }
    res->passed = 0;
    res->failed = 0;
    if (all || strcmp(name, "pass") == 0) {
        res->passed += 3;
    }
    if (all || strcmp(name, "fail") == 0) {
        res->passed += 1;
        res->failed += 2;
    }
    res->counter = 12345u;
    return 0;
}
