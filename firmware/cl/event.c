/*
 * The learning event and evaluation (qlr/cl_event.h). The order of random draws and the
 * mini-batch composition follow host/qlr/cl/policy.py exactly: per epoch shuffle(N), then
 * shuffle(F) when rep > 0; after the epochs sample(N, h) and, when h > fill, sample(F, h - fill).
 */
#include "qlr/cl_event.h"

#include "qlr/cl_latent.h"

#include <string.h>

#define ALIGN 64u

void *qlr_cl_alloc(qlr_cl_t *cl, size_t bytes)
{
    size_t at = (cl->used + ALIGN - 1u) & ~(size_t)(ALIGN - 1u);
    if (at > cl->size || bytes > cl->size - at) {
        cl->used = at + bytes; /* what it would need, for the message */
        return NULL;
    }
    cl->used = at + bytes;
    return cl->base + at;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

const char *qlr_cl_layout(qlr_cl_t *cl, uint8_t *work, size_t size)
{
    qlr_cl_config_t *c = &cl->cfg;
    qlr_cl_backend_t *bk = &cl->bk;
    cl->base = work;
    cl->size = size;
    cl->used = 0;
    if (c->q_bits < 1u || c->q_bits > 8u || c->mb == 0u || c->epochs == 0u || c->n_max == 0u) {
        return "configuration: q_bits must be 1..8 and mb, epochs, n_max >= 1";
    }
    const char *bad = qlr_cl_backend_check(bk);
    if (bad != NULL) {
        return bad;
    }
    cl->elems = qlr_cl_backend_act_elems(bk, 0);
    cl->row_bytes = (cl->elems * c->q_bits + 7u) / 8u;
    /* L3: rows, then labels. */
    cl->l3_rows = 0;
    cl->l3_labels = ((c->n_lr * cl->row_bytes) + ALIGN - 1u) & ~(ALIGN - 1u);
    cl->l3_end = ((cl->l3_labels + 2u * c->n_lr) + ALIGN - 1u) & ~(ALIGN - 1u);
    if ((size_t)cl->l3_end > qlr_mem_region(QLR_MEM_L3).size) {
        return "LR memory does not fit the L3 window";
    }
    /* Back-end buffers for a mini-batch. */
    bk->batch_max = c->mb;
    uint32_t biggest = 0;
    for (unsigned i = 0; i <= bk->n; i++) {
        uint32_t e = qlr_cl_backend_act_elems(bk, i);
        biggest = max_u32(biggest, e);
        if ((bk->act[i] = qlr_cl_alloc(cl, 4u * (size_t)c->mb * e)) == NULL) {
            return "L2 work area too small for the back-end activations of a mini-batch";
        }
    }
    for (unsigned j = 0; j < 2u; j++) {
        if ((bk->grad[j] = qlr_cl_alloc(cl, 4u * (size_t)c->mb * biggest)) == NULL) {
            return "L2 work area too small for the activation gradients";
        }
    }
    for (unsigned i = 0; i < bk->n; i++) {
        qlr_cl_layer_t *l = &bk->layer[i];
        if (l->nw == 0u) {
            continue;
        }
        l->dw = qlr_cl_alloc(cl, (size_t)4u * l->nw);
        l->vw = qlr_cl_alloc(cl, (size_t)4u * l->nw);
        if (l->nb != 0u) {
            l->db = qlr_cl_alloc(cl, (size_t)4u * l->nb);
            l->vb = qlr_cl_alloc(cl, (size_t)4u * l->nb);
        }
        if (l->dw == NULL || l->vw == NULL || (l->nb != 0u && (l->db == NULL || l->vb == NULL))) {
            return "L2 work area too small for the gradients and momentum";
        }
        memset(l->vw, 0, (size_t)4u * l->nw);
        if (l->nb != 0u) {
            memset(l->vb, 0, (size_t)4u * l->nb);
        }
    }
    bk->row_loss = qlr_cl_alloc(cl, (size_t)4u * c->mb);
    bk->labels = qlr_cl_alloc(cl, (size_t)4u * c->mb);
    bk->lr = c->lr;
    bk->momentum = c->momentum;
    bk->weight_decay = c->weight_decay;
    uint32_t nidx = max_u32(c->n_max, c->n_lr);
    cl->labels = qlr_cl_alloc(cl, 2u * (size_t)(c->n_lr ? c->n_lr : 1u));
    cl->new_codes = qlr_cl_alloc(cl, (size_t)c->n_max * cl->elems);
    cl->latent = qlr_cl_alloc(cl, cl->elems);
    cl->image = qlr_cl_alloc(cl, cl->image_bytes);
    cl->rows[0] = qlr_cl_alloc(cl, (size_t)c->mb * cl->row_bytes);
    cl->rows[1] = qlr_cl_alloc(cl, (size_t)c->mb * cl->row_bytes);
    cl->perm_new = qlr_cl_alloc(cl, 4u * (size_t)c->n_max);
    cl->perm_rep = qlr_cl_alloc(cl, 4u * (size_t)(c->n_lr ? c->n_lr : 1u));
    cl->work = qlr_cl_alloc(cl, 4u * (size_t)nidx);
    cl->new_index = qlr_cl_alloc(cl, 4u * (size_t)c->n_max);
    cl->slots = qlr_cl_alloc(cl, 4u * (size_t)c->n_max);
    cl->losses = qlr_cl_alloc(cl, 4u * (size_t)c->epochs * c->n_max);
    cl->pred = qlr_cl_alloc(cl, (size_t)4u * c->mb);
    if (bk->row_loss == NULL || bk->labels == NULL || cl->labels == NULL || cl->new_codes == NULL ||
        cl->latent == NULL || cl->image == NULL || cl->rows[0] == NULL || cl->rows[1] == NULL ||
        cl->perm_new == NULL || cl->perm_rep == NULL || cl->work == NULL || cl->new_index == NULL ||
        cl->slots == NULL || cl->losses == NULL || cl->pred == NULL) {
        return "L2 work area too small for the event's buffers";
    }
    return NULL;
}

/* Starts the L3 reads of the replayed rows of iteration t into buf (no wait). */
static void start_replay_rows(qlr_cl_t *cl, const qlr_cl_mix_t *mix, uint32_t t, uint8_t *buf, qlr_copy_t *job)
{
    for (uint32_t j = 0; j < mix->rep; j++) {
        uint32_t slot = cl->perm_rep[(t * mix->rep + j) % cl->filled];
        (void)qlr_l3_read_async(job, buf + (size_t)j * cl->row_bytes, cl->l3_rows + slot * cl->row_bytes,
                                cl->row_bytes);
    }
}

qlr_status_t qlr_cl_event(qlr_cl_t *cl, const uint8_t *images, const uint16_t *labels, uint32_t n_new,
                          qlr_cl_event_report_t *rep)
{
    qlr_cl_config_t *c = &cl->cfg;
    memset(rep, 0, sizeof *rep);
    if (n_new == 0u || n_new > c->n_max) {
        return QLR_E_ARG;
    }
    /* (a) front-end and codes */
    uint64_t t0 = qlr_counter();
    for (uint32_t i = 0; i < n_new; i++) {
        qlr_status_t st = cl->front(cl->front_ctx, images + (size_t)i * cl->image_bytes, cl->latent, c->cores);
        if (st != QLR_OK) {
            return st;
        }
        qlr_latent_requantize_u8(cl->latent, cl->new_codes + (size_t)i * cl->elems, 0, cl->elems, 1u, c->q_bits,
                                 NULL, 0);
    }
    rep->counter[QLR_CL_PHASE_FRONT] = qlr_counter() - t0;

    /* (b) training */
    qlr_cl_mix_t mix = qlr_cl_mixing(n_new, cl->filled, c->mb);
    rep->mix = mix;
    float *x0 = cl->bk.act[0];
    uint32_t it_all = 0;
    for (uint32_t ep = 0; ep < c->epochs; ep++) {
        qlr_rng_sample(&cl->rng, n_new, n_new, cl->work, cl->perm_new);
        if (mix.rep > 0u) {
            qlr_rng_sample(&cl->rng, cl->filled, cl->filled, cl->work, cl->perm_rep);
        }
        qlr_copy_t job[2];
        memset(job, 0, sizeof job);
        if (mix.rep > 0u) {
            uint64_t a = qlr_counter();
            start_replay_rows(cl, &mix, 0, cl->rows[0], &job[0]);
            rep->counter[QLR_CL_PHASE_LR_LOAD] += qlr_counter() - a;
        }
        for (uint32_t t = 0; t < mix.iterations; t++, it_all++) {
            uint64_t a = qlr_counter();
            unsigned cur = t & 1u;
            uint32_t n0 = t * mix.cur;
            uint32_t nb = n_new - n0 < mix.cur ? n_new - n0 : mix.cur;
            for (uint32_t j = 0; j < nb; j++) {
                uint32_t idx = cl->perm_new[n0 + j];
                const uint8_t *code = cl->new_codes + (size_t)idx * cl->elems;
                float *dst = x0 + (size_t)j * cl->elems;
                for (uint32_t e = 0; e < cl->elems; e++) {
                    dst[e] = (float)code[e] * c->scale;
                }
                cl->bk.labels[j] = (int32_t)labels[idx];
            }
            if (mix.rep > 0u) {
                qlr_copy_wait(&job[cur]);
                if (t + 1u < mix.iterations) {
                    start_replay_rows(cl, &mix, t + 1u, cl->rows[cur ^ 1u], &job[cur ^ 1u]);
                }
                for (uint32_t j = 0; j < mix.rep; j++) {
                    uint32_t slot = cl->perm_rep[(t * mix.rep + j) % cl->filled];
                    qlr_latent_dequantize(cl->rows[cur] + (size_t)j * cl->row_bytes, 0, cl->elems, c->q_bits, 1u,
                                          &c->scale, 1u, x0 + (size_t)(nb + j) * cl->elems);
                    cl->bk.labels[nb + j] = (int32_t)cl->labels[slot];
#ifdef QLR_FAULT_CL_DEQUANT
                    float *bad = x0 + (size_t)(nb + j) * cl->elems; /* broken on purpose: scale off by a bit */
                    for (uint32_t e = 0; e < cl->elems; e++) {
                        bad[e] *= 0.5f;
                    }
#endif
                }
            }
            rep->counter[QLR_CL_PHASE_LR_LOAD] += qlr_counter() - a;
            float loss = 0.0f;
            qlr_cl_step_counters_t sc;
            qlr_status_t st = qlr_cl_backend_train_step(&cl->bk, nb + mix.rep, c->cores, &loss, &sc);
            if (st != QLR_OK) {
                return st;
            }
            rep->counter[QLR_CL_PHASE_FORWARD] += sc.forward;
            rep->counter[QLR_CL_PHASE_BACKWARD] += sc.backward;
            rep->counter[QLR_CL_PHASE_UPDATE] += sc.update;
            cl->losses[it_all] = loss;
        }
    }
    rep->iterations_run = it_all;

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
        uint32_t idx = cl->new_index[j], slot = cl->slots[j];
        if (qlr_latent_pack(cl->new_codes + (size_t)idx * cl->elems, cl->elems, c->q_bits, cl->rows[0], NULL) != QLR_OK ||
            qlr_l3_write(cl->l3_rows + slot * cl->row_bytes, cl->rows[0], cl->row_bytes) != 0 ||
            qlr_l3_write(cl->l3_labels + 2u * slot, &labels[idx], 2u) != 0) {
            return QLR_E_NOMEM;
        }
        cl->labels[slot] = labels[idx];
    }
    cl->filled += fill;
    cl->updates += 1u;
    cl->events += 1u;
    rep->h = h;
    rep->counter[QLR_CL_PHASE_UPDATE] += qlr_counter() - u0;
    return QLR_OK;
}

qlr_status_t qlr_cl_evaluate(qlr_cl_t *cl, uint32_t l3_images, uint32_t l3_labels, uint32_t n, uint16_t *pred_out,
                             uint32_t *correct, uint64_t *front_counter, uint64_t *back_counter)
{
    qlr_cl_config_t *c = &cl->cfg;
    *correct = 0;
    *front_counter = 0;
    *back_counter = 0;
    for (uint32_t s = 0; s < n; s += c->mb) {
        uint32_t b = n - s < c->mb ? n - s : c->mb;
        uint64_t a = qlr_counter();
        for (uint32_t j = 0; j < b; j++) {
            if (qlr_l3_read(cl->image, l3_images + (s + j) * cl->image_bytes, cl->image_bytes) != 0) {
                return QLR_E_ARG;
            }
            qlr_status_t st = cl->front(cl->front_ctx, cl->image, cl->latent, c->cores);
            if (st != QLR_OK) {
                return st;
            }
            float *dst = cl->bk.act[0] + (size_t)j * cl->elems;
            qlr_latent_requantize_u8(cl->latent, cl->latent, 0, cl->elems, 1u, c->q_bits, NULL, 0);
            for (uint32_t e = 0; e < cl->elems; e++) {
                dst[e] = (float)cl->latent[e] * c->scale;
            }
        }
        uint64_t m = qlr_counter();
        qlr_status_t st = qlr_cl_backend_predict(&cl->bk, b, c->cores, cl->pred);
        if (st != QLR_OK) {
            return st;
        }
        *front_counter += m - a;
        *back_counter += qlr_counter() - m;
        for (uint32_t j = 0; j < b; j++) {
            uint16_t y;
            if (qlr_l3_read(&y, l3_labels + 2u * (s + j), 2u) != 0) {
                return QLR_E_ARG;
            }
            pred_out[s + j] = (uint16_t)cl->pred[j];
            *correct += (uint32_t)(cl->pred[j] == (int32_t)y);
        }
    }
    return QLR_OK;
}
