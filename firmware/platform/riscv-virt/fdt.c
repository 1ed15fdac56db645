/* Just enough of a flattened-device-tree walker to count the harts QEMU was started with
 * (`-smp`), so that `qlr run --cores N` can choose the team size without a rebuild. */
#include <string.h>

#include "rv_platform.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

unsigned qlr_fdt_count_cpus(const void *fdt)
{
    const uint8_t *base = (const uint8_t *)fdt;
    if (!base || be32(base) != FDT_MAGIC)
        return 0;
    uint32_t total = be32(base + 4), off_struct = be32(base + 8), size_struct = be32(base + 36);
    if (off_struct >= total || size_struct > total - off_struct)
        return 0;
    const uint8_t *p = base + off_struct, *end = p + size_struct;
    int depth = 0, in_cpus = 0;
    unsigned cpus = 0;
    while (p + 4 <= end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            size_t len = 0, room = (size_t)(end - p);
            while (len < room && name[len])
                len++;
            depth++;
            if (depth == 2 && strcmp(name, "cpus") == 0)
                in_cpus = 1;
            else if (in_cpus && depth == 3 && strncmp(name, "cpu@", 4) == 0)
                cpus++;
            p += (len + 1 + 3) & ~(size_t)3;
        } else if (tok == FDT_END_NODE) {
            if (depth == 2)
                in_cpus = 0;
            depth--;
        } else if (tok == FDT_PROP) {
            if (p + 8 > end)
                break;
            uint32_t len = be32(p);
            p += 8 + ((len + 3) & ~3u);
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            break; /* FDT_END or garbage */
        }
    }
    return cpus;
}
