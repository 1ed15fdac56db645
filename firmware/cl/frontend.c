/*
 * The int8 front-end executor (qlr/cl_frontend.h): the FRONT layers of an image, one input image
 * at a time, on the kernels of qlr/kernels_int8.h. Golden twin: qlr.image.execute.run_front_end.
 */
#include "qlr/cl_frontend.h"

#include <string.h>

#include "qlr/cl_latent.h"
#include "qlr/kernels_int8.h"
#include "qlr/kernel.h"
#include "qlr/runtime.h"

#define ALIGN64(v) (((v) + (size_t)63u) & ~(size_t)63u)
#define MAX_ACT_BYTES 0x7FFFFFFFull
#define NO_INPUT QLR_IMAGE_NO_INPUT

/* ---- planning -------------------------------------------------------------------------- */

/* The layer whose buffer holds layer i's output: flatten moves no data (-1: the network input). */
static int32_t root_of(const qlr_image_t *img, uint32_t i)
{
    for (uint32_t hops = 0; hops <= img->front_count; hops++) {
        qlr_layer_t r;
        qlr_image_layer(img, i, &r);
        if (r.kind != QLR_LAYER_FLATTEN) {
            return (int32_t)i;
        }
        if (r.input0 == NO_INPUT) {
            return -1;
        }
        i = r.input0;
    }
    return -1; /* unreachable: inputs are earlier layers */
}

/* The last front layer reading root r's buffer (F when it holds the latent), -1 if none. */
static int64_t last_use(const qlr_image_t *img, int32_t r)
{
    uint32_t f = img->front_count;
    if (root_of(img, f - 1u) == r) {
        return f;
    }
    int64_t last = -1;
    for (uint32_t j = (uint32_t)(r + 1); j < f; j++) {
        qlr_layer_t l;
        qlr_image_layer(img, j, &l);
        uint16_t src[2] = {l.input0, l.kind == QLR_LAYER_ADD ? l.input1 : (uint16_t)NO_INPUT};
        for (unsigned k = 0; k < 2u; k++) {
            if (src[k] != NO_INPUT && root_of(img, src[k]) == r) {
                last = j;
            }
        }
    }
    return last;
}

/* Kernel scratch a layer needs on `cores` cores: the kernel's own size function on the layer's
 * complete geometry (every field but the pointers, exactly as run_layer fills them). */
static size_t layer_scratch(const qlr_layer_t *r, unsigned cores)
{
    if (r->kind == QLR_LAYER_CONV2D) {
        qlr_conv2d_u8s8_args_t a;
        memset(&a, 0, sizeof a);
        a.n = 1u, a.in_h = r->in_h, a.in_w = r->in_w, a.in_c = r->in_c, a.out_c = r->out_c;
        a.k_h = r->kernel_h, a.k_w = r->kernel_w, a.stride_h = r->stride_h, a.stride_w = r->stride_w;
        a.pad_top = r->pad_top, a.pad_bottom = r->pad_bottom, a.pad_left = r->pad_left, a.pad_right = r->pad_right;
        a.in_zp = r->in_zp, a.w_zp = r->w_zp;
        return qlr_conv2d_u8s8_scratch_size(&a, cores);
    }
    if (r->kind == QLR_LAYER_DWCONV2D) {
        qlr_dwconv2d_u8s8_args_t a;
        memset(&a, 0, sizeof a);
        a.n = 1u, a.in_h = r->in_h, a.in_w = r->in_w, a.c = r->in_c;
        a.k_h = r->kernel_h, a.k_w = r->kernel_w, a.stride_h = r->stride_h, a.stride_w = r->stride_w;
        a.pad_top = r->pad_top, a.pad_bottom = r->pad_bottom, a.pad_left = r->pad_left, a.pad_right = r->pad_right;
        a.in_zp = r->in_zp, a.w_zp = r->w_zp;
        return qlr_dwconv2d_u8s8_scratch_size(&a, cores);
    }
    return 0u;
}

static int is_param_kind(unsigned k)
{
    return k == QLR_LAYER_CONV2D || k == QLR_LAYER_DWCONV2D || k == QLR_LAYER_PWCONV || k == QLR_LAYER_LINEAR;
}

/* Walks the layers assigning output slots (the same walk for planning and for init): writes
 * layers[i].slot unless layers is NULL (planning only). Returns NULL or why it cannot. */
static const char *assign_slots(const qlr_image_t *img, qlr_frontend_layer_t *layers, uint32_t *nslots)
{
    int32_t owner[QLR_FRONTEND_MAX_SLOTS];
    int64_t until[QLR_FRONTEND_MAX_SLOTS];
    for (unsigned s = 0; s < QLR_FRONTEND_MAX_SLOTS; s++) {
        owner[s] = -1;
        until[s] = -1;
    }
    *nslots = 0;
    for (uint32_t i = 0; i < img->front_count; i++) {
        qlr_layer_t r;
        qlr_image_layer(img, i, &r);
        if (r.kind == QLR_LAYER_FLATTEN) {
            if (layers != NULL) {
                int32_t root = root_of(img, i);
                layers[i].slot = (int16_t)(root < 0 ? -1 : layers[root].slot);
            }
            continue;
        }
        for (unsigned s = 0; s < QLR_FRONTEND_MAX_SLOTS; s++) {
            if (owner[s] >= 0 && until[s] < (int64_t)i) {
                owner[s] = -1;
            }
        }
        unsigned s = 0;
        while (s < QLR_FRONTEND_MAX_SLOTS && owner[s] >= 0) {
            s++;
        }
        if (s == QLR_FRONTEND_MAX_SLOTS) {
            return "front-end: more layer outputs alive at once than QLR_FRONTEND_MAX_SLOTS";
        }
        owner[s] = (int32_t)i;
        until[s] = last_use(img, (int32_t)i);
        if (s + 1u > *nslots) {
            *nslots = s + 1u;
        }
        if (layers != NULL) {
            layers[i].slot = (int16_t)s;
        }
    }
    return NULL;
}

const char *qlr_frontend_plan(const qlr_image_t *img, unsigned cores_max, qlr_frontend_plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    if (img == NULL || img->front_count == 0u) {
        return "the image has no front-end layers";
    }
    if (img->front_count > QLR_FRONTEND_MAX_LAYERS) {
        return "front-end: more layers than QLR_FRONTEND_MAX_LAYERS (96)";
    }
    if (cores_max < 1u) {
        cores_max = 1u;
    }
    uint64_t in = (uint64_t)img->in_h * img->in_w * img->in_c;
    if (in > MAX_ACT_BYTES || img->latent_elements > MAX_ACT_BYTES) {
        return "front-end: the input or the latent is above 2^31 bytes";
    }
    uint64_t act = 0, bias = 0, ks = 0;
    for (uint32_t i = 0; i < img->front_count; i++) {
        qlr_layer_t r;
        qlr_image_layer(img, i, &r);
        uint64_t o = qlr_layer_out_elements(&r);
        if (o > MAX_ACT_BYTES) {
            return "front-end: a layer output is above 2^31 bytes";
        }
        if (r.kind != QLR_LAYER_FLATTEN && o > act) {
            act = o;
        }
        if (is_param_kind(r.kind)) {
            bias += 4u * (uint64_t)r.out_c;
        }
        if ((r.kind == QLR_LAYER_CONV2D || r.kind == QLR_LAYER_DWCONV2D || r.kind == QLR_LAYER_AVGPOOL) &&
            (qlr_int8_out_size(r.in_h, r.kernel_h, r.stride_h, r.pad_top, r.pad_bottom) != r.out_h ||
             qlr_int8_out_size(r.in_w, r.kernel_w, r.stride_w, r.pad_left, r.pad_right) != r.out_w)) {
            return "front-end: a window layer's geometry is not the kernels'";
        }
        size_t k = layer_scratch(&r, cores_max);
        if (k > ks) {
            ks = k;
        }
    }
    const char *bad = assign_slots(img, NULL, &plan->slots);
    if (bad != NULL) {
        return bad;
    }
    plan->layers = img->front_count;
    plan->bias_bytes = ALIGN64((size_t)bias);
    plan->slot_bytes = ALIGN64((size_t)act);
    plan->kernel_scratch = ALIGN64((size_t)ks);
    uint64_t total = (uint64_t)plan->bias_bytes + (uint64_t)plan->slots * plan->slot_bytes + plan->kernel_scratch;
    if (total > (uint64_t)(SIZE_MAX / 2u)) {
        return "front-end: scratch above the address space";
    }
    plan->total = (size_t)total;
    plan->in_elements = (uint32_t)in;
    plan->latent_elements = (uint32_t)img->latent_elements;
    return NULL;
}

size_t qlr_frontend_scratch_size(const qlr_image_t *img)
{
    qlr_frontend_plan_t plan;
    return qlr_frontend_plan(img, qlr_team_max(), &plan) == NULL ? plan.total : 0u;
}

/* ---- init: layer table and folded biases ----------------------------------------------- */

typedef struct {
    const qlr_frontend_t *fe;
    volatile int failed;
} fold_job_t;

static void fold_task(void *arg)
{
    fold_job_t *job = (fold_job_t *)arg;
    const qlr_frontend_t *fe = job->fe;
    unsigned id = qlr_core_id(), count = qlr_core_count();
    for (uint32_t i = 0; i < fe->plan.layers; i++) {
        const qlr_frontend_layer_t *l = &fe->layers[i];
        if (l->bias_eff == NULL) {
            continue;
        }
        qlr_layer_params_t p;
        qlr_image_layer_params(fe->img, i, &p);
        uint32_t cout = l->rec.out_c, c0, c1;
        qlr_share(cout, id, count, &c0, &c1);
        qlr_status_t st;
        if (l->rec.kind == QLR_LAYER_DWCONV2D) {
            st = qlr_dwconv2d_u8s8_fold_bias(l->w, p.bias, (uint32_t)l->rec.kernel_h * l->rec.kernel_w, cout,
                                           l->rec.in_zp, l->rec.w_zp, c0, c1, l->bias_eff);
        } else {
            st = qlr_conv2d_u8s8_fold_bias(l->w, p.bias, p.weight_count / cout, l->rec.in_zp, l->rec.w_zp, c0, c1,
                                         l->bias_eff);
        }
        if (st != QLR_OK) {
            job->failed = 1;
        }
    }
}

qlr_status_t qlr_frontend_init(qlr_frontend_t *fe, const qlr_image_t *img, void *scratch, size_t size,
                               unsigned cores_max)
{
    memset(fe, 0, sizeof *fe);
    if (cores_max < 1u || cores_max > qlr_team_max()) {
        return QLR_E_ARG;
    }
    if (qlr_frontend_plan(img, cores_max, &fe->plan) != NULL) {
        return QLR_E_UNSUPPORTED;
    }
    if (scratch == NULL || ((uintptr_t)scratch & 63u) != 0u) {
        return scratch == NULL ? QLR_E_NOMEM : QLR_E_ALIGN;
    }
    if (size < fe->plan.total) {
        return QLR_E_NOMEM;
    }
    uint8_t *p = (uint8_t *)scratch;
    fe->img = img;
    fe->cores_max = cores_max;
    fe->bias_eff = (int32_t *)(void *)p;
    p += fe->plan.bias_bytes;
    fe->slots = p;
    p += (size_t)fe->plan.slots * fe->plan.slot_bytes;
    fe->kscratch = p;

    int32_t *next_bias = fe->bias_eff;
    for (uint32_t i = 0; i < fe->plan.layers; i++) {
        qlr_frontend_layer_t *l = &fe->layers[i];
        memset(l, 0, sizeof *l);
        qlr_image_layer(img, i, &l->rec);
        qlr_layer_params_t prm;
        qlr_image_layer_params(img, i, &prm);
        l->w = prm.weight;
        l->mult = prm.mult;
        l->shift = prm.shift;
        l->mult_count = prm.mult_count;
        if (is_param_kind(l->rec.kind)) {
            l->bias_eff = next_bias;
            next_bias += l->rec.out_c;
        }
    }
    uint32_t nslots = 0;
    assign_slots(img, fe->layers, &nslots); /* cannot fail: the plan made the same walk */
    for (uint32_t i = 0; i < fe->plan.layers; i++) {
        qlr_frontend_layer_t *l = &fe->layers[i];
        l->in0 = (int16_t)(l->rec.input0 == NO_INPUT ? -1 : fe->layers[l->rec.input0].slot);
        l->in1 = (int16_t)(l->rec.kind == QLR_LAYER_ADD && l->rec.input1 != NO_INPUT ? fe->layers[l->rec.input1].slot
                                                                                     : -1);
    }
    fe->latent_slot = fe->layers[fe->plan.layers - 1u].slot;
    fold_job_t job = {.fe = fe, .failed = 0};
    qlr_team_fork(cores_max, fold_task, &job);
    if (job.failed) {
        memset(fe, 0, sizeof *fe);
        return QLR_E_ARG;
    }
    return QLR_OK;
}

/* ---- run --------------------------------------------------------------------------------- */

typedef struct {
    const qlr_frontend_t *fe;
    const uint8_t *images;
    uint32_t count;
    uint8_t *out;
    size_t out_row;
    unsigned q_bits;
    int pack;
    qlr_status_t status;
} run_job_t;

static const uint8_t *slot_ptr(const qlr_frontend_t *fe, int16_t slot, const uint8_t *image)
{
    return slot < 0 ? image : fe->slots + (size_t)slot * fe->plan.slot_bytes;
}

/* The slot a layer writes. Only a flatten of the network input has none (-1: it aliases the
 * input and writes nothing), so every writing layer gets a slot of the scratch. */
static uint8_t *slot_out(const qlr_frontend_t *fe, int16_t slot)
{
    return slot < 0 ? NULL : fe->slots + (size_t)slot * fe->plan.slot_bytes;
}

static qlr_requant_t layer_rq(const qlr_frontend_layer_t *l)
{
    const qlr_requant_t rq = {.mult = l->mult, .shift = l->shift, .n = l->mult_count, .out_zp = l->rec.out_zp,
                              .act_min = l->rec.act_min, .act_max = l->rec.act_max};
    return rq;
}

/* One layer on every core of the team. Returns the kernel's status (the same on every core);
 * on QLR_OK the layer's output is complete on every core (the kernels end with a barrier,
 * qlr/kernel.h; the clamp below does the same). */
static qlr_status_t run_layer(const qlr_frontend_t *fe, const qlr_frontend_layer_t *l, const uint8_t *image)
{
    const qlr_layer_t *r = &l->rec;
    const uint8_t *x = slot_ptr(fe, l->in0, image);
    uint8_t *y = slot_out(fe, l->slot);
    switch (r->kind) {
    case QLR_LAYER_CONV2D: {
        const qlr_conv2d_u8s8_args_t a = {
            .x = x, .w = l->w, .bias = l->bias_eff, .y = y, .n = 1u, .in_h = r->in_h, .in_w = r->in_w,
            .in_c = r->in_c, .out_c = r->out_c, .k_h = r->kernel_h, .k_w = r->kernel_w, .stride_h = r->stride_h,
            .stride_w = r->stride_w, .pad_top = r->pad_top, .pad_bottom = r->pad_bottom, .pad_left = r->pad_left,
            .pad_right = r->pad_right, .in_zp = r->in_zp, .w_zp = r->w_zp, .rq = layer_rq(l),
            .scratch = fe->kscratch, .scratch_size = fe->plan.kernel_scratch};
        return qlr_conv2d_u8s8(&a);
    }
    case QLR_LAYER_DWCONV2D: {
        const qlr_dwconv2d_u8s8_args_t a = {
            .x = x, .w = l->w, .bias = l->bias_eff, .y = y, .n = 1u, .in_h = r->in_h, .in_w = r->in_w,
            .c = r->in_c, .k_h = r->kernel_h, .k_w = r->kernel_w, .stride_h = r->stride_h,
            .stride_w = r->stride_w, .pad_top = r->pad_top, .pad_bottom = r->pad_bottom, .pad_left = r->pad_left,
            .pad_right = r->pad_right, .in_zp = r->in_zp, .w_zp = r->w_zp, .rq = layer_rq(l),
            .scratch = fe->kscratch, .scratch_size = fe->plan.kernel_scratch};
        return qlr_dwconv2d_u8s8(&a);
    }
    case QLR_LAYER_PWCONV: {
        const qlr_pwconv_u8s8_args_t a = {
            .x = x, .w = l->w, .bias = l->bias_eff, .y = y, .n = 1u, .in_h = r->in_h, .in_w = r->in_w,
            .in_c = r->in_c, .out_c = r->out_c, .stride_h = 1u, .stride_w = 1u, .in_zp = r->in_zp,
            .w_zp = r->w_zp, .rq = layer_rq(l)};
        return qlr_pwconv_u8s8(&a);
    }
    case QLR_LAYER_LINEAR: {
        const qlr_linear_u8s8_args_t a = {.x = x, .w = l->w, .bias = l->bias_eff, .y = y, .n = 1u, .in_f = r->in_c,
                                          .out_f = r->out_c, .in_zp = r->in_zp, .w_zp = r->w_zp, .rq = layer_rq(l)};
        return qlr_linear_u8s8(&a);
    }
    case QLR_LAYER_AVGPOOL:
    case QLR_LAYER_GLOBAL_AVGPOOL: {
        const int global = r->kind == QLR_LAYER_GLOBAL_AVGPOOL;
        const qlr_avgpool_u8_args_t a = {
            .x = x, .y = y, .n = 1u, .in_h = r->in_h, .in_w = r->in_w, .c = r->in_c,
            .k_h = global ? r->in_h : r->kernel_h, .k_w = global ? r->in_w : r->kernel_w,
            .stride_h = global ? r->in_h : r->stride_h, .stride_w = global ? r->in_w : r->stride_w,
            .pad_top = r->pad_top, .pad_bottom = r->pad_bottom, .pad_left = r->pad_left, .pad_right = r->pad_right,
            .in_zp = r->in_zp, .rq = layer_rq(l)};
        return qlr_avgpool_u8(&a);
    }
    case QLR_LAYER_ADD: {
        const qlr_add_u8_args_t a = {
            .a = x, .b = slot_ptr(fe, l->in1, image), .y = y, .count = (uint32_t)qlr_layer_out_elements(r),
            .a_zp = r->in_zp, .b_zp = r->in_zp_b, .mult_a = l->mult[0], .mult_b = l->mult[1], .shift = l->shift[0],
            .out_zp = r->out_zp, .act_min = r->act_min, .act_max = r->act_max};
        return qlr_add_u8(&a);
    }
    case QLR_LAYER_RELU:
    case QLR_LAYER_RELU6: {
        uint32_t b, e;
        qlr_my_share((uint32_t)qlr_layer_out_elements(r), &b, &e);
        for (uint32_t i = b; i < e; i++) {
            uint8_t v = x[i];
            y[i] = v < r->act_min ? r->act_min : v > r->act_max ? r->act_max : v;
        }
        qlr_team_barrier(); /* as a kernel: the whole output before anyone reads it */
        return QLR_OK;
    }
    default: /* flatten: an alias, nothing to do */
        return QLR_OK;
    }
}

/* The latent (u8) to one output row on the calling core's share: a copy, Q-bit codes (one byte
 * each) or a packed row. Packed rows are split in groups of 8 codes (Q whole bytes each). */
static void write_latent(const qlr_frontend_t *fe, const uint8_t *lat, uint8_t *row, unsigned q_bits, int pack)
{
    const qlr_image_t *img = fe->img;
    uint32_t e = fe->plan.latent_elements, b, end;
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    if (q_bits == 0u) {
        qlr_share(e, id, cores, &b, &end);
        memcpy(row + b, lat + b, end - b);
        return;
    }
    const uint8_t *cmax = img->lr_code_max;
    uint32_t ccount = cmax != NULL ? img->lr_scale_count : 0u;
    uint32_t channels = img->latent_c;
    if (!pack) {
        qlr_share(e, id, cores, &b, &end);
        qlr_latent_requantize_u8(lat + b, row + b, b, end - b, channels, q_bits, cmax, ccount);
        return;
    }
    uint32_t groups = (e + 7u) / 8u, g0, g1;
    qlr_share(groups, id, cores, &g0, &g1);
    for (uint32_t g = g0; g < g1; g++) {
        uint8_t codes[8];
        uint32_t first = 8u * g, n = e - first < 8u ? e - first : 8u;
        qlr_latent_requantize_u8(lat + first, codes, first, n, channels, q_bits, cmax, ccount);
        qlr_latent_pack(codes, n, q_bits, row + (size_t)g * q_bits, NULL);
    }
}

static void run_task(void *arg)
{
    run_job_t *job = (run_job_t *)arg;
    const qlr_frontend_t *fe = job->fe;
    for (uint32_t n = 0; n < job->count; n++) {
        const uint8_t *image = job->images + (size_t)n * fe->plan.in_elements;
        for (uint32_t i = 0; i < fe->plan.layers; i++) {
            qlr_status_t st = run_layer(fe, &fe->layers[i], image);
            if (st != QLR_OK) {
                if (qlr_core_id() == 0u) {
                    job->status = st;
                }
                return; /* every core got the same status (the kernels check alike) */
            }
        }
        write_latent(fe, slot_ptr(fe, fe->latent_slot, image), job->out + (size_t)n * job->out_row, job->q_bits,
                     job->pack);
        qlr_team_barrier(); /* the next image overwrites the slots */
    }
}

size_t qlr_frontend_out_row(const qlr_frontend_t *fe, unsigned q_bits, int pack)
{
    return q_bits != 0u && pack ? qlr_latent_row_bytes(fe->plan.latent_elements, q_bits) : fe->plan.latent_elements;
}

qlr_status_t qlr_frontend_run(const qlr_frontend_t *fe, const uint8_t *images, uint32_t count, uint8_t *out,
                              size_t out_row, unsigned q_bits, int pack, unsigned cores)
{
    if (fe == NULL || fe->img == NULL || q_bits > 8u || (pack && q_bits == 0u) || cores < 1u ||
        cores > fe->cores_max || (count != 0u && (images == NULL || out == NULL)) ||
        out_row < qlr_frontend_out_row(fe, q_bits, pack)) {
        return QLR_E_ARG;
    }
    if (count == 0u) {
        return QLR_OK;
    }
    run_job_t job = {.fe = fe, .images = images, .count = count, .out = out, .out_row = out_row, .q_bits = q_bits,
                     .pack = pack, .status = QLR_OK};
    qlr_team_fork(cores, run_task, &job);
    return job.status;
}

/* ---- the CL firmware's prepared front-end -------------------------------------------------- */

static qlr_frontend_t g_fe;
static int g_fe_ready;

qlr_status_t qlr_cl_frontend_prepare(const qlr_image_t *img, void *scratch, size_t size)
{
    g_fe_ready = 0;
    qlr_status_t st = qlr_frontend_init(&g_fe, img, scratch, size, qlr_team_max());
    g_fe_ready = st == QLR_OK;
    return st;
}

void qlr_cl_frontend_release(void)
{
    g_fe_ready = 0;
}

qlr_status_t qlr_cl_frontend_row(const uint8_t *image, uint8_t *row, unsigned q_bits, unsigned cores)
{
    if (!g_fe_ready || q_bits < 1u || q_bits > 8u) {
        return QLR_E_ARG;
    }
    return qlr_frontend_run(&g_fe, image, 1u, row, qlr_latent_row_bytes(g_fe.plan.latent_elements, q_bits), q_bits,
                            1, cores);
}
