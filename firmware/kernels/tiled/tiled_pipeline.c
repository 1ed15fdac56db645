/*
 * The double-buffered step pipeline of the tiled executors (tiled_pipeline.h).
 *
 * Per step s, on the leader (the last core of the team, whose share of the work is the
 * smallest when it does not divide evenly): wait for the inputs of s; then, after the barrier that also says every
 * core is done with step s - 1 (so the other tile set is free): copy out the output completed at
 * s - 1, wait until the output buffer step s + 1 will fill has been copied out (it held the
 * output before last), and start the inputs of s + 1. Then every core computes step s.
 */
#include "tiled_pipeline.h"

void qlr_tiled_run(const qlr_tiled_pipeline_t *p)
{
    const int leader = qlr_core_id() + 1u == qlr_core_count(); /* the smallest share of work */
    qlr_copy_t in_job[2] = {{.pending = 0u}, {.pending = 0u}}, out_job[2] = {{.pending = 0u}, {.pending = 0u}};
    if (p->steps == 0u) {
        return;
    }
    if (leader) {
        p->issue_in(p->ctx, 0u, &in_job[0]);
    }
    for (uint32_t s = 0; s < p->steps; s++) {
        if (leader) {
            qlr_copy_wait(&in_job[s & 1u]);
        }
        qlr_team_barrier(); /* step s is in L1; every core is done with step s - 1 */
        if (leader) {
            if (s > 0u && p->last(p->ctx, s - 1u)) {
                p->issue_out(p->ctx, s - 1u, &out_job[p->out_buf(p->ctx, s - 1u)]);
            }
            if (s + 1u < p->steps) {
                if (p->first(p->ctx, s + 1u)) {
                    qlr_copy_wait(&out_job[p->out_buf(p->ctx, s + 1u)]);
                }
                p->issue_in(p->ctx, s + 1u, &in_job[(s + 1u) & 1u]);
            }
        }
        p->compute(p->ctx, s);
    }
    qlr_team_barrier();
    if (leader) {
        p->issue_out(p->ctx, p->steps - 1u, &out_job[p->out_buf(p->ctx, p->steps - 1u)]);
        qlr_copy_wait(&out_job[0]);
        qlr_copy_wait(&out_job[1]);
    }
    qlr_team_barrier();
}
