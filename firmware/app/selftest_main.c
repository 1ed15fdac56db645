/* selftest.elf: runs every runtime self-test and prints one parsable summary line:
 *   qlr-selftest: N passed, M failed, cores S/T, C <unit>
 * and exits with 0 only when nothing failed and every worker core was seen. */
#include <inttypes.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

int qlr_app_main(void)
{
    qlr_board_info_t info;
    qlr_board_info(&info);
    qlr_printf("qlr selftest on %s (%s): %u worker cores, L1 %" PRIu32 " B, L2 %" PRIu32
               " B, L3 %" PRIu32 " B\n",
               info.board, info.platform, info.team_max, info.l1_size, info.l2_size, info.l3_size);
    qlr_selftest_result_t res = {0};
    qlr_selftest_run("all", &res);
    int all_cores = res.cores_seen == res.cores_max;
    qlr_printf("qlr-selftest: %u passed, %u failed, cores %u/%u, %" PRIu64 " %s\n", res.passed,
               res.failed, res.cores_seen, res.cores_max, res.counter, qlr_counter_unit());
    return (res.failed == 0 && all_cores) ? 0 : 1;
}
