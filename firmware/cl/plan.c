/*
 * The memory plan on the device (qlr/cl_plan.h): a checked copy of the host's table, looked up
 * by name. The table is small (tens of entries) and read only at CL_SETUP, so lookups are
 * linear scans over the copy.
 */
#include "qlr/cl_plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qlr/link.h"

#define CATEGORIES 10u /* lr, image, weights, optimizer, gradients, activations, data, event, staging, tiles */

static uint8_t g_blob[QLR_CL_PLAN_MAX_BYTES];
static uint16_t g_entry[QLR_CL_PLAN_MAX_ENTRIES]; /* offset of each entry in g_blob */
static qlr_cl_plan_info_t g_info;
static char g_msg[160];

static uint32_t u32(const uint8_t *p) { return qlr_link_get_u32(p); }
static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    memset(&g_info, 0, sizeof g_info);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    return g_msg;
}

typedef struct {
    uint8_t level, category, phase, flags;
    uint32_t offset, size;
    const char *name;
    uint16_t name_len;
} entry_t;

static entry_t entry_at(unsigned i)
{
    const uint8_t *p = g_blob + g_entry[i];
    entry_t e = {
        .level = p[0], .category = p[1], .phase = p[2], .flags = p[3],
        .offset = u32(p + 4), .size = u32(p + 8), .name_len = u16(p + 12),
        .name = (const char *)(p + QLR_CL_PLAN_ENTRY_BYTES),
    };
    return e;
}

static int overlap_allowed(const entry_t *a, const entry_t *b)
{
    return (a->phase == QLR_PLAN_FRONT && b->phase == QLR_PLAN_TRAIN) ||
           (a->phase == QLR_PLAN_TRAIN && b->phase == QLR_PLAN_FRONT);
}

/* Walks the entries after the header; fills g_entry. */
static const char *index_entries(uint32_t total, uint32_t count)
{
    uint32_t pos = QLR_CL_PLAN_HEADER_BYTES;
    for (uint32_t i = 0; i < count; i++) {
        if (pos + QLR_CL_PLAN_ENTRY_BYTES > total - 4u) {
            return fail("plan: entry %lu runs past the end (%lu bytes)", (unsigned long)i, (unsigned long)total);
        }
        g_entry[i] = (uint16_t)pos;
        uint32_t nlen = u16(g_blob + pos + 12);
        if (nlen == 0u || nlen > QLR_CL_PLAN_NAME_MAX || pos + QLR_CL_PLAN_ENTRY_BYTES + nlen > total - 4u) {
            return fail("plan: entry %lu has a name of %lu bytes", (unsigned long)i, (unsigned long)nlen);
        }
        pos += QLR_CL_PLAN_ENTRY_BYTES + ((nlen + 3u) & ~3u);
    }
    if (pos != total - 4u) {
        return fail("plan: %lu bytes after the last entry (of %lu)", (unsigned long)(total - 4u - pos), (unsigned long)total);
    }
    return NULL;
}

static const char *check_entry(unsigned i)
{
    entry_t e = entry_at(i);
    char name[QLR_CL_PLAN_NAME_MAX + 1];
    memcpy(name, e.name, e.name_len);
    name[e.name_len] = '\0';
    for (unsigned k = 0; k < e.name_len; k++) {
        if (name[k] < 0x21 || name[k] > 0x7e) {
            return fail("plan: entry %u: name byte %u is not printable ASCII", i, k);
        }
    }
    if (e.level > QLR_MEM_L3 || e.category >= CATEGORIES || e.phase > QLR_PLAN_TRAIN) {
        return fail("plan: buffer '%s': level %u, category %u or phase %u out of range", name, e.level, e.category,
                    e.phase);
    }
    if ((e.offset & 63u) != 0u || e.size == 0u) {
        return fail("plan: buffer '%s': offset %lu not 64-byte aligned, or size %lu", name, (unsigned long)e.offset,
                    (unsigned long)e.size);
    }
    size_t window = qlr_mem_region((qlr_mem_level_t)e.level).size;
    if (e.offset > window || e.size > window - e.offset) {
        return fail("plan: buffer '%s' ends at %lu, past this board's window of %lu bytes", name,
                    (unsigned long)e.offset + e.size, (unsigned long)window);
    }
    for (unsigned j = 0; j < i; j++) {
        entry_t o = entry_at(j);
        if (o.name_len == e.name_len && memcmp(o.name, e.name, e.name_len) == 0) {
            return fail("plan: buffer '%s' appears twice (entries %u and %u)", name, j, i);
        }
        if (o.level == e.level && e.offset < o.offset + o.size && o.offset < e.offset + e.size &&
            !overlap_allowed(&o, &e)) {
            return fail("plan: buffer '%s' overlaps entry %u (at offset %lu)", name, j, (unsigned long)o.offset);
        }
    }
    return NULL;
}

const char *qlr_cl_plan_load(const uint8_t *blob, size_t len)
{
    memset(&g_info, 0, sizeof g_info);
    if (len < QLR_CL_PLAN_HEADER_BYTES + 4u || len > QLR_CL_PLAN_MAX_BYTES) {
        return fail("plan: %lu bytes, not %u..%u", (unsigned long)len, QLR_CL_PLAN_HEADER_BYTES + 4u, QLR_CL_PLAN_MAX_BYTES);
    }
    memcpy(g_blob, blob, len);
    uint32_t magic = u32(g_blob), version = u16(g_blob + 4), hbytes = u16(g_blob + 6), total = u32(g_blob + 8);
    if (magic != QLR_CL_PLAN_MAGIC || version != QLR_CL_PLAN_VERSION || hbytes != QLR_CL_PLAN_HEADER_BYTES) {
        return fail("plan: magic 0x%08lx, version %lu, header %lu bytes: not this firmware's (QLRP, %u, %u)",
                    (unsigned long)magic, (unsigned long)version, (unsigned long)hbytes, QLR_CL_PLAN_VERSION,
                    QLR_CL_PLAN_HEADER_BYTES);
    }
    if (total != len) {
        return fail("plan: header says %lu bytes, %lu arrived", (unsigned long)total, (unsigned long)len);
    }
    if (qlr_crc32(0, g_blob, len - 4u) != u32(g_blob + len - 4u)) {
        return fail("plan: CRC mismatch over %lu bytes", (unsigned long)(len - 4u));
    }
    uint32_t count = u32(g_blob + 12);
    if (count == 0u || count > QLR_CL_PLAN_MAX_ENTRIES) {
        return fail("plan: %lu allocations, not 1..%u", (unsigned long)count, QLR_CL_PLAN_MAX_ENTRIES);
    }
    const char *bad = index_entries(total, count);
    for (unsigned i = 0; bad == NULL && i < count; i++) {
        bad = check_entry(i);
    }
    if (bad != NULL) {
        return bad;
    }
    qlr_cl_plan_info_t info = {
        .count = count, .ub = u32(g_blob + 16), .mb = u32(g_blob + 20), .n_lr = u32(g_blob + 24),
        .q_lr = u32(g_blob + 28), .n_new = u32(g_blob + 32), .epochs = u32(g_blob + 36),
        .n_eval = u32(g_blob + 40), .stage_bytes = u32(g_blob + 44), .row_bytes = u32(g_blob + 48),
        .flags = u32(g_blob + 52),
    };
    if (info.ub == 0u || info.ub > info.mb || info.q_lr < 1u || info.q_lr > 8u || info.epochs == 0u) {
        return fail("plan: micro-batch %lu of mini-batch %lu, or Q_LR/epochs out of range", (unsigned long)info.ub,
                    (unsigned long)info.mb);
    }
    g_info = info;
    return NULL;
}

const qlr_cl_plan_info_t *qlr_cl_plan_info(void)
{
    return &g_info;
}

const char *qlr_cl_plan_bind(const char *name, size_t need, int allow_l3, int optional, qlr_cl_buf_t *out)
{
    memset(out, 0, sizeof *out);
    size_t nlen = strlen(name);
    for (unsigned i = 0; i < g_info.count; i++) {
        entry_t e = entry_at(i);
        if (e.name_len != nlen || memcmp(e.name, name, nlen) != 0) {
            continue;
        }
        if (e.size < need) {
            snprintf(g_msg, sizeof g_msg, "plan: buffer '%.63s' is %lu bytes, the firmware needs %lu", name,
                     (unsigned long)e.size, (unsigned long)need);
            return g_msg;
        }
        if (e.level == QLR_MEM_L3 && !allow_l3) {
            snprintf(g_msg, sizeof g_msg, "plan: buffer '%.63s' is in L3; the firmware needs it in L1 or L2", name);
            return g_msg;
        }
        out->level = (qlr_mem_level_t)e.level;
        out->offset = e.offset;
        out->size = e.size;
        out->phase = e.phase;
        out->streamed = (uint8_t)(e.flags & QLR_CL_PLAN_STREAMED);
        out->ptr = e.level == QLR_MEM_L3 ? NULL : (uint8_t *)qlr_mem_region((qlr_mem_level_t)e.level).base + e.offset;
        return NULL;
    }
    if (optional) {
        return NULL;
    }
    snprintf(g_msg, sizeof g_msg, "plan: no buffer '%.63s' (%lu bytes needed)", name, (unsigned long)need);
    return g_msg;
}

const char *qlr_cl_plan_bindf(const char *fmt, unsigned arg, size_t need, int allow_l3, int optional,
                              qlr_cl_buf_t *out)
{
    char name[QLR_CL_PLAN_NAME_MAX + 1];
    snprintf(name, sizeof name, fmt, arg);
    return qlr_cl_plan_bind(name, need, allow_l3, optional, out);
}
