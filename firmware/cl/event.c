/*
 * The learning event and evaluation (qlr/cl_event.h). The order of random draws and the
 * mini-batch composition follow host/qlr/cl/policy.py exactly: per epoch shuffle(N), then
 * shuffle(F) when rep > 0; after the epochs sample(N, h) and, when h > fill, sample(F, h - fill).
 * Iteration t of an epoch trains on new latents perm_new[t*cur ..] then replayed slots
 * perm_rep[(t*rep + j) mod F], in micro-batches of ub samples in that order.
 */
#include "qlr/cl_event.h"

#include <string.h>

#include "qlr/cl_latent.h"

/* ---- binding the plan ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    size_t need;
    int allow_l3, optional;
    qlr_cl_buf_t *out;
} want_t;

/* One buffer the firmware needs: name, bytes, may it be in L3, may it be missing, where it goes. */
#define WANT(name_, need_, l3_, optional_, out_)                                                       \
    {.name = (name_), .need = (need_), .allow_l3 = (l3_), .optional = (optional_), .out = (out_)}

/* Tells the host the event is still running (cl->progress: the link's progress frame). */
static void progress(const qlr_cl_t *cl)
{
    if (cl->progress != NULL) {
        cl->progress();
    }
}

static const char *bind_all(const want_t *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const char *bad = qlr_cl_plan_bind(w[i].name, w[i].need, w[i].allow_l3, w[i].optional, w[i].out);
        if (bad != NULL) {
            return bad;
        }
    }
    return NULL;
}

static const char *bind_backend(qlr_cl_t *cl)
{
    qlr_cl_backend_t *bk = &cl->bk;
    uint32_t ub = cl->cfg.ub, biggest = 0;
    qlr_cl_buf_t b;
    const char *bad = qlr_cl_plan_bind("act.input", 4u * (size_t)ub * cl->elems, 0, 0, &b);
    bk->act[0] = (float *)(void *)b.ptr;
    biggest = cl->elems;
    for (unsigned i = 0; bad == NULL && i < bk->n; i++) {
        qlr_cl_layer_t *l = &bk->layer[i];
        uint32_t e = qlr_cl_backend_act_elems(bk, i + 1u);
        if (e > biggest) {
            biggest = e;
        }
        if (l->kind == QLR_CL_FLATTEN) {
            bk->act[i + 1u] = bk->act[i]; /* a view: the same buffer */
            continue;
        }
        bad = qlr_cl_plan_bindf("act.%u", l->pos, 4u * (size_t)ub * e, 0, 0, &b);
        bk->act[i + 1u] = (float *)(void *)b.ptr;
    }
    for (unsigned j = 0; bad == NULL && j < 2u; j++) {
        bad = qlr_cl_plan_bindf("grad.act.%u", j, 4u * (size_t)ub * biggest, 0, 0, &b);
        bk->grad[j] = (float *)(void *)b.ptr;
    }
    if (bad == NULL) {
        bad = qlr_cl_plan_bind("event.row_loss", 4u * (size_t)ub, 0, 0, &b);
        bk->row_loss = (float *)(void *)b.ptr;
    }
    for (unsigned i = 0; bad == NULL && i < bk->n; i++) {
        qlr_cl_layer_t *l = &bk->layer[i];
        if (l->nw == 0u) {
            continue;
        }
        int mom = cl->cfg.momentum != 0.0f;
        bad = qlr_cl_plan_bindf("be.%u.weight", l->pos, 4u * (size_t)l->nw, 1, 0, &l->w);
        if (bad == NULL) {
            bad = qlr_cl_plan_bindf("grad.%u.weight", l->pos, 4u * (size_t)l->nw, 1, 0, &l->dw);
        }
        if (bad == NULL) {
            bad = qlr_cl_plan_bindf("opt.%u.weight", l->pos, mom ? 4u * (size_t)l->nw : 0u, 1, !mom, &l->vw);
        }
        if (bad == NULL && l->nb != 0u) {
            bad = qlr_cl_plan_bindf("be.%u.bias", l->pos, 4u * (size_t)l->nb, 0, 0, &l->b);
            if (bad == NULL) {
                bad = qlr_cl_plan_bindf("grad.%u.bias", l->pos, 4u * (size_t)l->nb, 0, 0, &l->db);
            }
            if (bad == NULL) {
                bad = qlr_cl_plan_bindf("opt.%u.bias", l->pos, mom ? 4u * (size_t)l->nb : 0u, 0, !mom, &l->vb);
            }
        }
    }
    uint32_t stage = qlr_cl_plan_info()->stage_bytes;
    for (unsigned s = 0; bad == NULL && stage != 0u && s < 2u; s++) {
        bad = qlr_cl_plan_bindf("stage.%u", s, stage, 0, 0, &b);
        bk->stage[s] = b.ptr;
    }
    bk->stage_bytes = stage;
    if (bad == NULL) {
        bad = qlr_cl_plan_bind("tiles.kernel", 256u, 0, 0, &b);
        bk->l1.l1 = b.ptr;
        bk->l1.l1_size = b.size;
        bk->l1.tile_budget = 0;
    }
    bk->ub = ub;
    bk->lr = cl->cfg.lr;
    bk->momentum = cl->cfg.momentum;
    bk->weight_decay = cl->cfg.weight_decay;
    return bad != NULL ? bad : qlr_cl_backend_check(bk);
}

const char *qlr_cl_bind(qlr_cl_t *cl)
{
    const qlr_cl_config_t *c = &cl->cfg;
    if (c->q_bits < 1u || c->q_bits > 8u || c->mb == 0u || c->ub == 0u || c->ub > c->mb || c->epochs == 0u ||
        c->n_max == 0u) {
        return "configuration: q_bits must be 1..8, 1 <= ub <= mb, and epochs, n_max >= 1";
    }
    size_t n_lr1 = c->n_lr ? c->n_lr : 1u, row = cl->row_bytes;
    qlr_cl_buf_t scale, labels, perm_new, perm_rep, work, new_index, slots, losses, batch_labels, pred, codes, r0,
        r1, fe_input, data_labels, eval_pred;
    size_t nidx = c->n_max > n_lr1 ? c->n_max : n_lr1;
    const want_t w[] = {
        WANT("lr.latents", (size_t)c->n_lr * row, 1, c->n_lr == 0u, &cl->lr_rows),
        WANT("lr.labels", 2u * (size_t)c->n_lr, 1, c->n_lr == 0u, &cl->lr_labels),
        WANT("lr.scale", 4u, 0, 0, &scale),
        WANT("event.labels", 2u * n_lr1, 0, 0, &labels),
        WANT("event.perm_new", 4u * (size_t)c->n_max, 0, 0, &perm_new),
        WANT("event.perm_rep", 4u * n_lr1, 0, 0, &perm_rep),
        WANT("event.work", 4u * nidx, 0, 0, &work),
        WANT("event.new_index", 4u * (size_t)c->n_max, 0, 0, &new_index),
        WANT("event.slots", 4u * (size_t)c->n_max, 0, 0, &slots),
        WANT("event.losses", 4u * (size_t)c->epochs * c->n_max, 0, 0, &losses),
        WANT("event.batch_labels", 4u * (size_t)c->mb, 0, 0, &batch_labels),
        WANT("event.pred", 4u * (size_t)c->mb, 0, 0, &pred),
        WANT("event.codes", (size_t)c->ub * row, 0, 0, &codes),
        WANT("stream.lr.0", (size_t)c->ub * row, 0, 0, &r0),
        WANT("stream.lr.1", (size_t)c->ub * row, 0, 0, &r1),
        WANT("fe.input", cl->image_bytes, 0, 0, &fe_input),
        WANT("data.images", (size_t)c->n_max * cl->image_bytes, 1, 0, &cl->data_images),
        WANT("data.labels", 2u * (size_t)c->n_max, 0, 0, &data_labels),
        WANT("data.latents", (size_t)c->n_max * row, 1, 0, &cl->data_latents),
        WANT("eval.images", (size_t)c->n_eval * cl->image_bytes, 1, c->n_eval == 0u, &cl->eval_images),
        WANT("eval.labels", 2u * (size_t)c->n_eval, 1, c->n_eval == 0u, &cl->eval_labels),
        WANT("eval.pred", 2u * (size_t)c->n_eval, 0, c->n_eval == 0u, &eval_pred),
    };
    const char *bad = bind_all(w, (unsigned)(sizeof w / sizeof w[0]));
    if (bad != NULL) {
        return bad;
    }
    if ((cl->data_images.level == QLR_MEM_L3 && !cl->data_images.streamed) ||
        (cl->data_latents.level == QLR_MEM_L3 && !cl->data_latents.streamed)) {
        return "plan: the event's data are in L3 but not marked streamed";
    }
    cl->scale = (const float *)(void *)scale.ptr;
    cl->scale_count = (qlr_cl_plan_info()->flags & QLR_CL_PLAN_PER_CHANNEL) ? cl->channels : 1u;
    if (scale.size < 4u * (size_t)cl->scale_count) {
        return "plan: buffer 'lr.scale' holds fewer scales than the latent has channels";
    }
    cl->labels = (uint16_t *)(void *)labels.ptr;
    cl->perm_new = (uint32_t *)(void *)perm_new.ptr;
    cl->perm_rep = (uint32_t *)(void *)perm_rep.ptr;
    cl->work = (uint32_t *)(void *)work.ptr;
    cl->new_index = (uint32_t *)(void *)new_index.ptr;
    cl->slots = (uint32_t *)(void *)slots.ptr;
    cl->losses = (float *)(void *)losses.ptr;
    cl->batch_labels = (int32_t *)(void *)batch_labels.ptr;
    cl->pred = (int32_t *)(void *)pred.ptr;
    cl->codes = codes.ptr;
    cl->rows[0] = r0.ptr;
    cl->rows[1] = r1.ptr;
    cl->fe_input = fe_input.ptr;
    cl->data_labels = (uint16_t *)(void *)data_labels.ptr;
    cl->eval_pred = (uint16_t *)(void *)eval_pred.ptr;
    return bind_backend(cl);
}

/* ---- rows of a micro-batch -------------------------------------------------------------------- */

/* A sample of the current mini-batch: new latent idx (j < nb) or replayed slot. */
typedef struct {
    uint32_t t;        /* iteration in the epoch */
    uint32_t nb;       /* new latents in this mini-batch */
    uint32_t total;    /* nb + rep */
} batch_t;

static batch_t batch_of(const qlr_cl_t *cl, const qlr_cl_mix_t *mix, uint32_t n_new, uint32_t t)
{
    (void)cl;
    uint32_t n0 = t * mix->cur;
    batch_t b = {.t = t, .nb = n_new - n0 < mix->cur ? n_new - n0 : mix->cur};
    b.total = b.nb + mix->rep;
    return b;
}

/* Starts bringing the packed rows of samples [s0, s1) of batch b into buf. Rows in L2 are copied
 * at once; rows in L3 arrive at qlr_copy_wait(job). Returns the bytes read from L3, or -1. */
static int64_t start_rows(qlr_cl_t *cl, const qlr_cl_mix_t *mix, const batch_t *b, uint32_t s0, uint32_t s1,
                          uint8_t *buf, qlr_copy_t *job)
{
    uint32_t row = cl->row_bytes;
    int64_t l3 = 0;
    for (uint32_t s = s0; s < s1; s++) {
        uint8_t *dst = buf + (size_t)(s - s0) * row;
        int rc = 0;
        if (s < b->nb) {
            uint32_t idx = cl->perm_new[b->t * mix->cur + s];
            if (cl->data_latents.level == QLR_MEM_L3) {
                rc = qlr_l3_read_async(job, dst, cl->data_latents.offset + idx * row, row);
                l3 += row;
            } else {
                memcpy(dst, cl->data_latents.ptr + (size_t)idx * row, row);
            }
        } else {
            uint32_t slot = cl->perm_rep[(b->t * mix->rep + (s - b->nb)) % cl->filled];
            rc = qlr_l3_read_async(job, dst, cl->lr_rows.offset + slot * row, row);
            l3 += row;
        }
        if (rc != 0) {
            return -1;
        }
    }
    return l3;
}

typedef struct {
    const qlr_cl_t *cl;
    const uint8_t *rows;
    uint32_t count;      /* rows to dequantize */
    uint32_t replay_from; /* sample index (in this micro-batch) where replayed rows start */
} dequant_t;

static void dequant_task(void *arg)
{
    const dequant_t *d = arg;
    const qlr_cl_t *cl = d->cl;
    uint32_t r0, r1;
    qlr_share(d->count, qlr_core_id(), qlr_core_count(), &r0, &r1);
    for (uint32_t r = r0; r < r1; r++) {
        float *dst = cl->bk.act[0] + (size_t)r * cl->elems;
        qlr_latent_dequantize(d->rows + (size_t)r * cl->row_bytes, 0, cl->elems, cl->cfg.q_bits, cl->channels,
                              cl->scale, cl->scale_count, dst);
#ifdef QLR_FAULT_CL_DEQUANT
        if (r >= d->replay_from) { /* broken on purpose: replayed latents at half scale */
            for (uint32_t e = 0; e < cl->elems; e++) {
                dst[e] *= 0.5f;
            }
        }
#endif
    }
    qlr_team_barrier();
}

static void dequantize(const qlr_cl_t *cl, const uint8_t *rows, uint32_t count, uint32_t replay_from)
{
    dequant_t d = {.cl = cl, .rows = rows, .count = count, .replay_from = replay_from};
    qlr_team_fork(cl->cfg.cores, dequant_task, &d);
}

/* ---- the event ---------------------------------------------------------------------------------- */

/* The front-end on every new image: its packed row goes to "data.latents" (through "event.codes"
 * when that is in L3). */
static qlr_status_t front_end(qlr_cl_t *cl, uint32_t n_new, qlr_cl_event_report_t *rep)
{
    uint32_t img = cl->image_bytes, row = cl->row_bytes;
    for (uint32_t i = 0; i < n_new; i++) {
        const uint8_t *image;
        if (cl->data_images.level == QLR_MEM_L3) {
            if (qlr_l3_read(cl->fe_input, cl->data_images.offset + i * img, img) != 0) {
                return QLR_E_ARG;
            }
            rep->data_l3 += img;
            image = cl->fe_input;
        } else {
            image = cl->data_images.ptr + (size_t)i * img;
        }
        int l3 = cl->data_latents.level == QLR_MEM_L3;
        uint8_t *dst = l3 ? cl->codes : cl->data_latents.ptr + (size_t)i * row;
        if ((i & 15u) == 15u) {
            progress(cl);
        }
        qlr_status_t st = cl->front(cl->front_ctx, image, dst, cl->cfg.cores);
        if (st != QLR_OK) {
            return st;
        }
        if (l3) {
            if (qlr_l3_write(cl->data_latents.offset + i * row, dst, row) != 0) {
                return QLR_E_ARG;
            }
            rep->data_l3 += row;
        }
    }
    return QLR_OK;
}

/* The micro-batches of one epoch, rows double-buffered across micro-batches and iterations. */
static qlr_status_t train_epoch(qlr_cl_t *cl, const qlr_cl_mix_t *mix, uint32_t n_new, uint32_t *it_all,
                                const uint16_t *new_labels, qlr_cl_event_report_t *rep, qlr_cl_step_counters_t *sc)
{
    uint32_t ub = cl->cfg.ub;
    qlr_copy_t job[2];
    memset(job, 0, sizeof job);
    unsigned cur = 0;
    uint64_t a = qlr_counter();
    batch_t b = batch_of(cl, mix, n_new, 0);
    int64_t got = start_rows(cl, mix, &b, 0, b.total < ub ? b.total : ub, cl->rows[0], &job[0]);
    rep->counter[QLR_CL_PHASE_LR_LOAD] += qlr_counter() - a;
    for (uint32_t t = 0; t < mix->iterations && got >= 0; t++, (*it_all)++) {
        b = batch_of(cl, mix, n_new, t);
        for (uint32_t s = 0; s < b.total; s++) {
            cl->batch_labels[s] = s < b.nb ? (int32_t)new_labels[cl->perm_new[t * mix->cur + s]]
                                           : (int32_t)cl->labels[cl->perm_rep[(t * mix->rep + s - b.nb) % cl->filled]];
        }
        float loss = 0.0f;
        for (uint32_t s0 = 0; s0 < b.total && got >= 0; s0 += ub) {
            uint32_t s1 = s0 + ub < b.total ? s0 + ub : b.total;
            a = qlr_counter();
            rep->rows_l3 += (uint64_t)got;
            qlr_copy_wait(&job[cur]);
            /* the next micro-batch's rows: later in this mini-batch, or the next mini-batch's first */
            if (s1 < b.total) {
                got = start_rows(cl, mix, &b, s1, s1 + ub < b.total ? s1 + ub : b.total, cl->rows[cur ^ 1u],
                                 &job[cur ^ 1u]);
            } else if (t + 1u < mix->iterations) {
                batch_t nb = batch_of(cl, mix, n_new, t + 1u);
                got = start_rows(cl, mix, &nb, 0, nb.total < ub ? nb.total : ub, cl->rows[cur ^ 1u], &job[cur ^ 1u]);
            } else {
                got = 0;
            }
            dequantize(cl, cl->rows[cur], s1 - s0, s0 < b.nb ? b.nb - s0 : 0u);
            rep->counter[QLR_CL_PHASE_LR_LOAD] += qlr_counter() - a;
            float part = 0.0f;
            qlr_status_t st = qlr_cl_backend_micro(&cl->bk, s1 - s0, cl->batch_labels + s0, b.total, s0 > 0u,
                                                   cl->cfg.cores, &part, sc);
            if (st != QLR_OK) {
                qlr_copy_wait(&job[cur ^ 1u]);
                return st;
            }
            loss += part;
            rep->micro_batches++;
            cur ^= 1u;
        }
        qlr_status_t st = qlr_cl_backend_update(&cl->bk, cl->cfg.cores, sc);
        if (st != QLR_OK) {
            qlr_copy_wait(&job[cur]);
            return st;
        }
        cl->losses[*it_all] = loss;
        progress(cl);
    }
    qlr_copy_wait(&job[0]);
    qlr_copy_wait(&job[1]);
    return got < 0 ? QLR_E_ARG : QLR_OK;
}

/* Copies new row idx ("data.latents") into LR slot `slot` with its label. */
static int admit(qlr_cl_t *cl, uint32_t idx, uint32_t slot, uint16_t label)
{
    uint32_t row = cl->row_bytes;
    const uint8_t *src = cl->data_latents.ptr + (size_t)idx * row;
    if (cl->data_latents.level == QLR_MEM_L3) {
        if (qlr_l3_read(cl->codes, cl->data_latents.offset + idx * row, row) != 0) {
            return -1;
        }
        src = cl->codes;
    }
    if (qlr_l3_write(cl->lr_rows.offset + slot * row, src, row) != 0 ||
        qlr_l3_write(cl->lr_labels.offset + 2u * slot, &label, 2u) != 0) {
        return -1;
    }
    cl->labels[slot] = label;
    return 0;
}

qlr_status_t qlr_cl_event(qlr_cl_t *cl, uint32_t n_new, qlr_cl_event_report_t *rep)
{
    qlr_cl_config_t *c = &cl->cfg;
    memset(rep, 0, sizeof *rep);
    if (n_new == 0u || n_new > c->n_max) {
        return QLR_E_ARG;
    }
    const uint16_t *labels = cl->data_labels;
    /* (a) front-end and codes */
    uint64_t t0 = qlr_counter();
    qlr_status_t st = front_end(cl, n_new, rep);
    rep->counter[QLR_CL_PHASE_FRONT] = qlr_counter() - t0;
    if (st != QLR_OK) {
        return st;
    }
    /* (b) training */
    qlr_cl_mix_t mix = qlr_cl_mixing(n_new, cl->filled, c->mb);
    rep->mix = mix;
    qlr_cl_step_counters_t sc;
    memset(&sc, 0, sizeof sc);
    uint32_t it_all = 0;
    for (uint32_t ep = 0; ep < c->epochs && st == QLR_OK; ep++) {
        qlr_rng_sample(&cl->rng, n_new, n_new, cl->work, cl->perm_new);
        if (mix.rep > 0u) {
            qlr_rng_sample(&cl->rng, cl->filled, cl->filled, cl->work, cl->perm_rep);
        }
        st = train_epoch(cl, &mix, n_new, &it_all, labels, rep, &sc);
    }
    rep->iterations_run = it_all;
    rep->counter[QLR_CL_PHASE_FORWARD] = sc.forward;
    rep->counter[QLR_CL_PHASE_BACKWARD] = sc.backward;
    rep->counter[QLR_CL_PHASE_UPDATE] = sc.update;
    rep->params = sc.l3;
    rep->tiles = sc.tiles;
    if (st != QLR_OK) {
        return st;
    }
    /* (c) memory update */
    uint64_t u0 = qlr_counter();
    uint32_t h = qlr_cl_memory_update(&cl->rng, c->n_lr, cl->filled, cl->updates, n_new, cl->work, cl->new_index,
                                      cl->slots);
    uint32_t hh, fill;
    qlr_cl_admitted(c->n_lr, cl->filled, cl->updates, n_new, &hh, &fill);
#ifdef QLR_FAULT_CL_POLICY
    for (uint32_t j = fill; j < h; j++) { /* broken on purpose: replaced slots shifted by one */
        cl->slots[j] = (cl->slots[j] + 1u) % cl->filled;
    }
#endif
    for (uint32_t j = 0; j < h; j++) {
        if (admit(cl, cl->new_index[j], cl->slots[j], labels[cl->new_index[j]]) != 0) {
            return QLR_E_NOMEM;
        }
    }
    cl->filled += fill;
    cl->updates += 1u;
    cl->events += 1u;
    rep->h = h;
    rep->counter[QLR_CL_PHASE_UPDATE] += qlr_counter() - u0;
    return QLR_OK;
}

qlr_status_t qlr_cl_evaluate(qlr_cl_t *cl, uint32_t n, uint32_t *correct, uint64_t *front_counter,
                             uint64_t *back_counter)
{
    qlr_cl_config_t *c = &cl->cfg;
    *correct = 0;
    *front_counter = 0;
    *back_counter = 0;
    if (n > c->n_eval) {
        return QLR_E_ARG;
    }
    uint16_t *truth = (uint16_t *)(void *)cl->batch_labels; /* [ub] u16 fit in [mb] int32 */
    for (uint32_t s = 0; s < n; s += c->ub) {
        uint32_t b = n - s < c->ub ? n - s : c->ub;
        progress(cl);
        uint64_t a = qlr_counter();
        for (uint32_t j = 0; j < b; j++) {
            if (qlr_l3_read(cl->fe_input, cl->eval_images.offset + (s + j) * cl->image_bytes, cl->image_bytes) != 0) {
                return QLR_E_ARG;
            }
            qlr_status_t st = cl->front(cl->front_ctx, cl->fe_input, cl->codes + (size_t)j * cl->row_bytes, c->cores);
            if (st != QLR_OK) {
                return st;
            }
        }
        uint64_t m = qlr_counter();
        dequantize(cl, cl->codes, b, b);
        qlr_cl_step_counters_t sc;
        memset(&sc, 0, sizeof sc);
        qlr_status_t st = qlr_cl_backend_predict(&cl->bk, b, c->cores, cl->pred, &sc);
        if (st != QLR_OK) {
            return st;
        }
        *front_counter += m - a;
        *back_counter += qlr_counter() - m;
        if (qlr_l3_read(truth, cl->eval_labels.offset + 2u * s, (size_t)2u * b) != 0) {
            return QLR_E_ARG;
        }
        for (uint32_t j = 0; j < b; j++) {
            cl->eval_pred[s + j] = (uint16_t)cl->pred[j];
            *correct += (uint32_t)(cl->pred[j] == (int32_t)truth[j]);
        }
    }
    return QLR_OK;
}
