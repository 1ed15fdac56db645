/*
 * The runtime: the only door between portable code (kernels, continual learning, apps) and a
 * platform. Every board's platform/<family>/ implements it; nothing else includes platform code.
 *
 * Model: one controller core runs the app; qlr_team_fork() runs a function on a team of worker
 * cores (the PULP cluster, QEMU harts 1..8, pthreads on the host, the single core on an M4) and
 * returns when all have finished. Inside a team, qlr_core_id() / qlr_core_count() tell a core its
 * share of the work and qlr_team_barrier() synchronises the team.
 */
#ifndef QLR_RUNTIME_H
#define QLR_RUNTIME_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- team: fork/join and barrier ------------------------------------------------------- */

typedef void (*qlr_task_fn)(void *arg);

/* Worker cores available to qlr_team_fork (8 on the cluster boards, 1 on an M4, N on host). */
unsigned qlr_team_max(void);
/* Runs fn(arg) on cores 0..ncores-1 of the team and returns when every one has returned.
 * ncores is clamped to 1..qlr_team_max(). Must be called from the controller, not nested. */
void qlr_team_fork(unsigned ncores, qlr_task_fn fn, void *arg);
/* Index of the calling core in its team (0 on the controller outside a fork). */
unsigned qlr_core_id(void);
/* Size of the calling core's team (1 on the controller outside a fork). */
unsigned qlr_core_count(void);
/* Every core of the team waits here until all have arrived. Reusable any number of times. */
void qlr_team_barrier(void);

/* ---- memory levels ------------------------------------------------------------------------ */

typedef enum {
    QLR_MEM_L1 = 0, /* fast scratch next to the compute cores (PULP TCDM) */
    QLR_MEM_L2 = 1, /* main on-chip memory: code, data, activations */
    QLR_MEM_L3 = 2, /* external memory (HyperRAM / PSRAM / stand-in); reached only by offset */
} qlr_mem_level_t;

typedef struct {
    uintptr_t base; /* address of the region's first free byte (0 for L3: use offsets) */
    size_t size;    /* bytes available to the application */
} qlr_mem_region_t;

/* The free part of a memory level that the application may use (after code, stacks, data). */
qlr_mem_region_t qlr_mem_region(qlr_mem_level_t level);

/* ---- copies between levels -------------------------------------------------------------- */

/* A copy in flight. Start copies, do other work, then qlr_copy_wait(). On platforms without a
 * DMA engine the copy is done when it is started and wait returns at once. A core may have at
 * most 16 copies in flight (started and not yet waited for) across all its jobs: the PULP
 * cluster DMA has 16 transfer counters. */
typedef struct {
    uint32_t pending; /* platform-defined transfer ids / flags; 0 when nothing is in flight */
} qlr_copy_t;

/* 1-D copy of `bytes` between L1 and L2 (either direction, any alignment). */
void qlr_copy_1d(qlr_copy_t *job, void *dst, const void *src, size_t bytes);
/* 2-D copy: `rows` rows of `row_bytes` each; row r is read at src + r*src_stride and written
 * at dst + r*dst_stride. Strides are in bytes and may equal row_bytes (contiguous). */
void qlr_copy_2d(qlr_copy_t *job, void *dst, const void *src, size_t row_bytes, size_t rows,
                 size_t dst_stride, size_t src_stride);
/* Blocks until every copy started on `job` has completed. */
void qlr_copy_wait(qlr_copy_t *job);

/* L3: read/write `bytes` at byte offset `off` of the L3 region. Return 0, or -1 when the range
 * is outside L3 (nothing is copied then). The _async forms complete at qlr_copy_wait(job). */
int qlr_l3_read_async(qlr_copy_t *job, void *dst, uint32_t off, size_t bytes);
int qlr_l3_write_async(qlr_copy_t *job, uint32_t off, const void *src, size_t bytes);
int qlr_l3_read(void *dst, uint32_t off, size_t bytes);
int qlr_l3_write(uint32_t off, const void *src, size_t bytes);

/* ---- counter -------------------------------------------------------------------------- */

/* A monotonic counter: core cycles on hardware and GVSoC, executed instructions under QEMU
 * -icount (all harts together), nanoseconds on the host board. qlr_counter_unit() says which. */
uint64_t qlr_counter(void);
const char *qlr_counter_unit(void);

/* ---- console, link and exit ----------------------------------------------------------- */

/* Text console (semihosting on the emulators, stderr on the host, the UART on real boards). */
void qlr_putc(char c);
void qlr_puts(const char *s); /* no newline added */
int qlr_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int qlr_vprintf(const char *fmt, va_list ap);

/* Byte channel of the host-device link (a UART, stdin/stdout on the host board).
 * qlr_link_read returns the number of bytes read (>= 1) after waiting at most timeout_ms
 * (0 = do not wait, negative = forever), 0 on timeout, -1 when the channel is closed. */
int qlr_link_read(void *buf, size_t max, int timeout_ms);
void qlr_link_write(const void *buf, size_t len);

/* Files of the host, where the board has a host file channel (semihosting on the emulators):
 * the bulk path of MEM_LOAD. Names are plain file names in the emulator's working directory.
 * qlr_host_file_open returns a handle >= 0 positioned at byte `pos`, -1 when the board has no
 * host file channel, -2 when the file cannot be opened or positioned. qlr_host_file_read returns
 * the bytes read (fewer only at the end of the file), or -1 on an error. dst must be in L2. */
int qlr_host_file_open(const char *name, uint32_t pos);
long qlr_host_file_read(int handle, void *dst, size_t n);
void qlr_host_file_close(int handle);
/* A new file for writing (an existing one is emptied): a handle >= 0, -1 without a host file
 * channel, -2 when it cannot be created. qlr_host_file_write returns 0 when all n bytes were
 * written, -1 otherwise. src must be in L2. */
int qlr_host_file_create(const char *name);
int qlr_host_file_write(int handle, const void *src, size_t n);

/* Ends the program with `status` (0 = success). Never returns. */
void qlr_exit(int status) __attribute__((noreturn));

/* ---- board description ----------------------------------------------------------------- */

typedef struct {
    const char *board;    /* e.g. "qemu-rv32" */
    const char *platform; /* e.g. "riscv-virt" */
    unsigned team_max;
    uint32_t l1_size, l2_size, l3_size; /* bytes free for the application, per level */
} qlr_board_info_t;

void qlr_board_info(qlr_board_info_t *info);

/* ---- the application's entry ------------------------------------------------------------ */

/* Every firmware program defines this; the platform's startup calls it on the controller once
 * the team is ready, and exits with its return value. */
int qlr_app_main(void);

#ifdef __cplusplus
}
#endif

#endif /* QLR_RUNTIME_H */
