/*
 * The host platform: the build machine's threads stand in for a cluster.
 * The main thread is the controller; `--cores N` worker pthreads form the team. L1/L2/L3 are
 * heap buffers of the sizes in boards/host.toml. The console is stderr; the link is
 * stdin/stdout, so a host program can be driven through pipes (transport `exec:`).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qlr/runtime.h"
#include "../../runtime/platform_hooks.h"
#include "qlr_board_config.h"

#define HOST_MAX_CORES 64

static unsigned g_team_max = QLR_TEAM_MAX;
static uint8_t *g_l1, *g_l2, *g_l3;

/* ---- team ---- */

static __thread unsigned tls_core_id = 0;
static __thread unsigned tls_team_size = 1;

static pthread_t g_threads[HOST_MAX_CORES];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static unsigned long g_generation;
static qlr_task_fn g_fn;
static void *g_arg;
static unsigned g_ncores, g_running;

/* Barrier of the current team: generation counting, reusable. */
static pthread_mutex_t g_bar_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_bar_cond = PTHREAD_COND_INITIALIZER;
static unsigned g_bar_waiting;
static unsigned long g_bar_generation;

static void *worker_main(void *p)
{
    unsigned id = (unsigned)(uintptr_t)p;
    unsigned long seen = 0;
    tls_core_id = id;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (g_generation == seen)
            pthread_cond_wait(&g_go, &g_lock);
        seen = g_generation;
        int mine = id < g_ncores;
        qlr_task_fn fn = g_fn;
        void *arg = g_arg;
        tls_team_size = g_ncores;
        pthread_mutex_unlock(&g_lock);
        if (!mine)
            continue;
        fn(arg);
        pthread_mutex_lock(&g_lock);
        if (--g_running == 0)
            pthread_cond_signal(&g_done);
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

unsigned qlr_team_max(void) { return g_team_max; }
unsigned qlr_core_id(void) { return tls_core_id; }
unsigned qlr_core_count(void) { return tls_team_size; }

void qlr_team_fork(unsigned ncores, qlr_task_fn fn, void *arg)
{
    if (ncores < 1)
        ncores = 1;
    if (ncores > g_team_max)
        ncores = g_team_max;
    pthread_mutex_lock(&g_lock);
    g_fn = fn;
    g_arg = arg;
    g_ncores = ncores;
    g_running = ncores;
    g_bar_waiting = 0;
    g_generation++;
    pthread_cond_broadcast(&g_go);
    while (g_running != 0)
        pthread_cond_wait(&g_done, &g_lock);
    pthread_mutex_unlock(&g_lock);
}

void qlr_team_barrier(void)
{
#ifdef QLR_FAULT_BARRIER_NOWAIT
    return; /* fault injected on purpose (scons fault=barrier) */
#endif
    unsigned n = tls_team_size;
    if (n <= 1)
        return;
    pthread_mutex_lock(&g_bar_lock);
    unsigned long gen = g_bar_generation;
    if (++g_bar_waiting == n) {
        g_bar_waiting = 0;
        g_bar_generation++;
        pthread_cond_broadcast(&g_bar_cond);
    } else {
        while (gen == g_bar_generation)
            pthread_cond_wait(&g_bar_cond, &g_bar_lock);
    }
    pthread_mutex_unlock(&g_bar_lock);
}

/* ---- memory ---- */

qlr_mem_region_t qlr_mem_region(qlr_mem_level_t level)
{
    qlr_mem_region_t r = {0};
    switch (level) {
    case QLR_MEM_L1: r.base = (uintptr_t)g_l1; r.size = QLR_L1_SIZE; break;
    case QLR_MEM_L2: r.base = (uintptr_t)g_l2; r.size = QLR_L2_SIZE; break;
    case QLR_MEM_L3: r.base = 0; r.size = QLR_L3_SIZE; break;
    }
    return r;
}

uint8_t *qlr_platform_l3_base(void) { return g_l3; }
size_t qlr_platform_l3_size(void) { return QLR_L3_SIZE; }

/* ---- counter, console, link, exit ---- */

uint64_t qlr_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *qlr_counter_unit(void) { return QLR_COUNTER_UNIT; }

void qlr_console_write(const char *s, size_t n)
{
    fwrite(s, 1, n, stderr);
    fflush(stderr);
}

int qlr_link_read(void *buf, size_t max, int timeout_ms)
{
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    int rc;
    do {
        rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return 0;
    if (rc < 0)
        return -1;
    ssize_t n;
    do {
        n = read(0, buf, max);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? (int)n : -1;
}

void qlr_link_write(const void *buf, size_t len)
{
    const char *p = (const char *)buf;
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* the host went away; the next read reports the closed channel */
        }
        p += n;
        len -= (size_t)n;
    }
}

void qlr_exit(int status)
{
    fflush(stdout);
    fflush(stderr);
    exit(status);
}

/* ---- entry ---- */

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--cores N]   (N = 1..%d worker threads, default %u)\n", prog,
            HOST_MAX_CORES, QLR_TEAM_MAX);
}

static void *xaligned(size_t size, const char *what)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size) != 0) {
        fprintf(stderr, "host platform: cannot allocate %zu bytes for %s\n", size, what);
        exit(2);
    }
    memset(p, 0, size);
    return p;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cores") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > HOST_MAX_CORES) {
                fprintf(stderr, "%s: --cores must be 1..%d, got '%s'\n", argv[0], HOST_MAX_CORES,
                        argv[i]);
                return 2;
            }
            g_team_max = (unsigned)n;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    g_l1 = xaligned(QLR_L1_SIZE, "L1");
    g_l2 = xaligned(QLR_L2_SIZE, "L2");
    g_l3 = xaligned(QLR_L3_SIZE, "L3");
    for (unsigned i = 0; i < g_team_max; i++) {
        if (pthread_create(&g_threads[i], NULL, worker_main, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "host platform: cannot start worker thread %u\n", i);
            return 2;
        }
        pthread_detach(g_threads[i]);
    }
    qlr_exit(qlr_app_main());
}
