/*
** ctx_x86_64.S: the context switch for x86-64 System V.
**
** A context is a saved stack pointer.  Switching pushes the callee-saved
** registers (rbx, rbp, r12-r15) and the two floating-point control words
** (MXCSR, x87 FPU control word) on the old stack, stores its sp, loads the
** new sp and pops the same frame.  Caller-saved state is the compiler's
** business: rt_ctx_swap is an ordinary call for it.
**
**   void rt_ctx_swap(void **save_sp, void *to_sp);
**   frame, low to high: [mxcsr:4 fpcw:2 zero:2] r15 r14 r13 r12 rbx rbp ret
**
** Loading MXCSR and the x87 control word costs more than the rest of the
** switch, and nearly every pair of contexts has the same (default) words,
** so they are loaded only when they differ.
*/
/* The saving half, shared by both entries: pushes the frame above, stores
** the sp in *save_sp (rdi) and leaves the old control words in rax. */
        .macro  CTX_SAVE
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        movq    $0, (%rsp)
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    (%rsp), %rax
        .endm

        .text
        .globl  rt_ctx_swap
        .type   rt_ctx_swap, @function
        .p2align 4
rt_ctx_swap:
        .cfi_startproc
        CTX_SAVE
        movq    %rsi, %rsp
        cmpq    (%rsp), %rax            /* same control words: skip the */
        je      1f                      /* slow, serialising loads */
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
1:      addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   rt_ctx_swap, .-rt_ctx_swap

/* Saves the running context as rt_ctx_swap does and starts fn(arg) on a
** fresh stack whose top is `top` (16-byte aligned), with the default FP
** control words.  Nothing is written to the new stack before it runs:
** under a hypervisor that shadows page tables, a store to a page the TLB
** has lost costs hundreds of ns, and preparing a frame when a G is made
** would pay that once more for every G not run at once.
**
**   void rt_ctx_start(void **save_sp, void *top, void (*fn)(void *), void *arg);
*/
        .globl  rt_ctx_start
        .type   rt_ctx_start, @function
        .p2align 4
rt_ctx_start:
        .cfi_startproc
        CTX_SAVE
        cmpq    ctx_fpdefault(%rip), %rax
        je      1f
        ldmxcsr ctx_fpdefault(%rip)
        fldcw   ctx_fpdefault+4(%rip)
1:      movq    %rsi, %rsp
        jmp     ctx_begin
        .cfi_endproc
        .size   rt_ctx_start, .-rt_ctx_start

/* The bottom frame of a context started by rt_ctx_start: no caller (the
** unwinder stops here), rsp = top; 16 bytes below keep the call aligned. */
        .type   ctx_begin, @function
        .p2align 4
ctx_begin:
        .cfi_startproc
        .cfi_undefined rip
        subq    $16, %rsp
        xorl    %ebp, %ebp
        movq    %rcx, %rdi
        call    *%rdx
        ud2
        .cfi_endproc
        .size   ctx_begin, .-ctx_begin

        .section .rodata
        .p2align 3
ctx_fpdefault:                          /* MXCSR 0x1F80, x87 control 0x037F */
        .long   0x1F80
        .short  0x037F, 0
        .text

/* First code of a new context: rt_ctx_init left fn in r13 and its argument
** in r12.  Entered by `ret` with rsp = top - 8, so subtracting 8 makes the
** call see the ABI's alignment.  fn never returns. */
        .globl  rt_ctx_entry
        .type   rt_ctx_entry, @function
        .p2align 4
rt_ctx_entry:
        .cfi_startproc
        .cfi_undefined rip
        subq    $8, %rsp
        movq    %r12, %rdi
        call    *%r13
        ud2
        .cfi_endproc
        .size   rt_ctx_entry, .-rt_ctx_entry

/* Signal preemption (preempt.c).  The handler of the preemption signal
** makes the interrupted code "call" here: it pushes the interrupted pc
** below the code's 128-byte red zone and points pc at us.  Unlike a real
** call nothing was agreed, so everything the interrupted code may hold
** is saved: the caller-saved registers, the flags and, with xsave, every
** vector and x87 register the OS enabled (rt_xsave_size bytes, from
** CPUID; the 64-byte header must be zero for xrstor).  Then
** sched_async_preempt yields like a call to rt_safepoint, perhaps for
** long, perhaps resuming on another M; and `ret $128` returns to the
** interrupted instruction, dropping the red zone gap. */
        .globl  rt_async_preempt
        .type   rt_async_preempt, @function
        .p2align 4
rt_async_preempt:
        pushfq
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %rbp
        movq    %rsp, %rbp
        movl    rt_xsave_size(%rip), %eax
        subq    %rax, %rsp
        andq    $-64, %rsp
        xorl    %eax, %eax
        movq    %rax, 512(%rsp)
        movq    %rax, 520(%rsp)
        movq    %rax, 528(%rsp)
        movq    %rax, 536(%rsp)
        movq    %rax, 544(%rsp)
        movq    %rax, 552(%rsp)
        movq    %rax, 560(%rsp)
        movq    %rax, 568(%rsp)
        movl    $-1, %eax
        movl    $-1, %edx
        xsave64 (%rsp)
        cld
        call    sched_async_preempt@PLT
        movl    $-1, %eax
        movl    $-1, %edx
        xrstor64 (%rsp)
        movq    %rbp, %rsp
        popq    %rbp
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        popfq
        ret     $128
        .size   rt_async_preempt, .-rt_async_preempt

        .section .note.GNU-stack,"",@progbits
