/* Reset entry for every hart of QEMU's riscv32 virt machine. QEMU starts all harts here with
 * a0 = mhartid and a1 = the device tree. Hart 0 (the controller) clears .bss and runs the
 * application; the other harts become the team's workers and sleep until given work. */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      tp, __tls_base
    csrr    t0, mhartid
    li      t1, 9
    bgeu    t0, t1, park            /* more harts than stacks: never run them */
    /* sp = __stacks_end - hartid * stack size */
    la      sp, __stacks_end
    li      t1, 0x2000
    mul     t2, t0, t1
    sub     sp, sp, t2
    /* Turn the FPU on (mstatus.FS = Initial) and clear its flags. */
    li      t1, (1 << 13)
    csrs    mstatus, t1
    fscsr   zero
    /* Machine software interrupts wake `wfi`; mstatus.MIE stays 0, so no trap is ever taken. */
    li      t1, (1 << 3)
    csrs    mie, t1
    la      t1, qlr_rv_trap
    csrw    mtvec, t1
    mv      s0, a0                  /* hart id */
    mv      s1, a1                  /* device tree */
    bnez    t0, worker
    la      t1, __bss_start
    la      t2, __bss_end
1:  bgeu    t1, t2, 2f
    sw      zero, 0(t1)
    addi    t1, t1, 4
    j       1b
2:  mv      a0, s1
    call    qlr_rv_controller_main
    j       park
worker:
    mv      a0, s0
    call    qlr_rv_worker_main
park:
    wfi
    j       park

/* No interrupt is ever enabled globally; an exception lands here and ends the run loudly. */
    .align 4
    .globl qlr_rv_trap
qlr_rv_trap:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    qlr_rv_exception
    j       park
