/* Entry points on pulp-open. The fabric controller (FC) starts at _start; each cluster core
 * starts at qlr_pulp_cluster_entry once the FC has set its boot address and enabled fetch. */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      tp, __tls_base
    la      sp, __fc_stack_top
    la      t0, qlr_pulp_trap               /* an exception must not restart _start silently */
    csrw    mtvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    qlr_pulp_fc_main
3:  j       3b

    .globl qlr_pulp_cluster_entry
    .align 4
qlr_pulp_cluster_entry:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      tp, __tls_base
    la      t0, qlr_pulp_trap
    csrw    mtvec, t0
    csrr    a0, mhartid
    andi    a0, a0, 0x1f             /* core id within the cluster */
    la      sp, __cl_stacks_end
    slli    t0, a0, 10               /* 1 KiB of stack per core (QLR_CL_STACK_SIZE) */
    sub     sp, sp, t0
    call    qlr_pulp_cluster_main
4:  j       4b

/* Any exception: report it as one parsable line and end the simulation with status 3. */
    .align 4
    .globl qlr_pulp_trap
qlr_pulp_trap:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    csrr    a3, mhartid
    call    qlr_pulp_exception
5:  j       5b
