/*
** ctx_aarch64.S: the context switch for AArch64 (AAPCS64).
**
** Saves the callee-saved registers x19-x30 (x29 frame pointer, x30 link
** register), d8-d15 and the FP control register FPCR on the old stack,
** stores sp, loads the new sp and restores the same frame.
**
**   void rt_ctx_swap(void **save_sp, void *to_sp);
**   frame (176 bytes): x19..x30 at 0..95, d8..d15 at 96..159, fpcr at 160
*/
        .text
        .globl  rt_ctx_swap
        .type   rt_ctx_swap, %function
        .p2align 4
rt_ctx_swap:
        sub     sp, sp, #176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8,  d9,  [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8,  d9,  [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        ret
        .size   rt_ctx_swap, .-rt_ctx_swap

/* First code of a new context: rt_ctx_init put the argument in x19 and
** fn in x20.  fn never returns. */
        .globl  rt_ctx_entry
        .type   rt_ctx_entry, %function
        .p2align 4
rt_ctx_entry:
        mov     x29, #0
        mov     x0, x19
        blr     x20
        brk     #0
        .size   rt_ctx_entry, .-rt_ctx_entry

        .section .note.GNU-stack,"",%progbits
