/*
 * pulp-open's L3 (HyperRAM behind the uDMA, l3_hyper.c) as the rest of the pulp platform sees it.
 */
#ifndef QLR_PULP_L3_H
#define QLR_PULP_L3_H

#include <stdint.h>

/* qlr_copy_t.pending on pulp: bits 0-15 are cluster-DMA counters (dma_mchan.c); bit 31 says an
 * L3 transfer is in flight and bits 16-30 hold its ticket (l3_hyper.c). */
#define QLR_PULP_L3_PENDING 0x80000000u
#define QLR_PULP_L3_TICKET_SHIFT 16u
#define QLR_PULP_L3_TICKET_MASK 0x7FFFu
#define QLR_PULP_MCHAN_MASK 0xFFFFu

/* Clears the cluster cores' mailboxes and configures the HyperBus peripheral (at boot). */
void qlr_pulp_l3_init(void);

/* Blocks until the L3 transfer whose ticket `pending` holds has completed (fabric controller). */
void qlr_pulp_l3_wait(uint32_t pending);

/* Serves the L3 requests that cluster cores have posted (fabric controller, while a team task
 * runs): the uDMA is programmed only from the fabric controller. */
void qlr_pulp_l3_serve(void);

#endif
