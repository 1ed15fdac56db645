/*
 * Status codes shared by kernels, executors and the continual-learning code. 0 is success;
 * every other value names what was wrong so the host can print it.
 */
#ifndef QLR_STATUS_H
#define QLR_STATUS_H

typedef enum {
    QLR_OK = 0,
    QLR_E_ARG = 1,      /* an argument is out of range (a size of 0, a stride of 0, ...) */
    QLR_E_SHAPE = 2,    /* shapes do not agree with each other */
    QLR_E_NOMEM = 3,    /* the scratch or tile budget is too small for the shape */
    QLR_E_ALIGN = 4,    /* a pointer is not aligned as the kernel requires */
    QLR_E_UNSUPPORTED = 5, /* a combination the kernel does not implement */
    QLR_E_SIZE = 6,     /* a size product exceeds QLR_MAX_ELEMS (qlr/kernel.h): too large to index */
} qlr_status_t;

#endif /* QLR_STATUS_H */
