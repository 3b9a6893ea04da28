/*
** test_ctx.c: the raw context switch keeps every callee-saved register
** and both floating-point control words of each context, and fresh
** contexts start with default FP control words.
**
** Context A fills the callee-saved registers (x86-64: rbx, r12-r15;
** aarch64: x19-x28, d8-d15) with patterns and switches to
** B, which fills them with garbage and changes its rounding mode before
** switching back; A must find its patterns and its own rounding mode.
*/
#include <fenv.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "ctx.h"

static void *a_sp, *b_sp;      /* saved contexts */
static int b_rounds;           /* switches B has made */

/* x86-64: the asm operands live in statics (RIP-relative): every general
** register is clobbered, and ASan moves locals off the stack. */
static void **asm_save;        /* where rt_ctx_swap stores the sp */
static void *asm_to;           /* the sp it switches to */
static uint64_t *asm_out;      /* where the registers are read back to */

#if defined(__x86_64__)
/* Switch to B with known values in rbx, r12-r15 and read them back. */
static void swap_with_patterns(uint64_t out[5]) {
  asm_save = &a_sp;
  asm_to = b_sp;
  asm_out = out;
  __asm__ volatile(
      "movq %[save], %%rdi\n\t"
      "movq %[to], %%rsi\n\t"
      "movq $0x1111111111111111, %%rbx\n\t"
      "movq $0x1212121212121212, %%r12\n\t"
      "movq $0x1313131313131313, %%r13\n\t"
      "movq $0x1414141414141414, %%r14\n\t"
      "movq $0x1515151515151515, %%r15\n\t"
      "subq $128, %%rsp\n\t"            /* keep clear of the red zone */
      "call rt_ctx_swap\n\t"
      "addq $128, %%rsp\n\t"
      "movq %[out], %%rax\n\t"
      "movq %%rbx, 0(%%rax)\n\t"
      "movq %%r12, 8(%%rax)\n\t"
      "movq %%r13, 16(%%rax)\n\t"
      "movq %%r14, 24(%%rax)\n\t"
      "movq %%r15, 32(%%rax)\n\t"
      :
      : [save] "m"(asm_save), [to] "m"(asm_to), [out] "m"(asm_out)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "memory", "cc");
}

/* B's side: garbage in every callee-saved register, then back to A. */
static void swap_back_with_garbage(void) {
  asm_save = &b_sp;
  asm_to = a_sp;
  __asm__ volatile(
      "movq %[save], %%rdi\n\t"
      "movq %[to], %%rsi\n\t"
      "movq $-1, %%rbx\n\t"
      "movq $-2, %%r12\n\t"
      "movq $-3, %%r13\n\t"
      "movq $-4, %%r14\n\t"
      "movq $-5, %%r15\n\t"
      "subq $128, %%rsp\n\t"
      "call rt_ctx_swap\n\t"
      "addq $128, %%rsp\n\t"
      :
      : [save] "m"(asm_save), [to] "m"(asm_to)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "memory", "cc");
}

#define NREGS 5
static const uint64_t want[NREGS] = { 0x1111111111111111ull, 0x1212121212121212ull,
  0x1313131313131313ull, 0x1414141414141414ull, 0x1515151515151515ull };

static uint32_t read_mxcsr(void) {
  uint32_t v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}
static uint16_t read_fpcw(void) {
  uint16_t v;
  __asm__ volatile("fnstcw %0" : "=m"(v));
  return v;
}
#elif defined(__aarch64__)
/* x19-x28 and d8-d15 get patterns (d_k = x19 + k); B clobbers them all. */
#define NREGS 18
static const uint64_t want[NREGS] = { 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
  0x808, 0x909, 0xA0A, 0xB0B, 0xC0C, 0xD0D, 0xE0E, 0xF0F };
#define A64_CLOBBERS "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", \
  "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", \
  "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x30", "v8", "v9", "v10", "v11", \
  "v12", "v13", "v14", "v15", "memory", "cc"

static void swap_with_patterns(uint64_t out[NREGS]) {
  void **save = &a_sp;     /* locals: sp-relative, as no register is free */
  void *to = b_sp;
  __asm__ volatile(
      "ldr x0, %[save]\n\tldr x1, %[to]\n\t"
      "mov x19, #19\n\tmov x20, #20\n\tmov x21, #21\n\tmov x22, #22\n\t"
      "mov x23, #23\n\tmov x24, #24\n\tmov x25, #25\n\tmov x26, #26\n\t"
      "mov x27, #27\n\tmov x28, #28\n\t"
      "mov x9, #0x808\n\tfmov d8, x9\n\tmov x9, #0x909\n\tfmov d9, x9\n\t"
      "mov x9, #0xA0A\n\tfmov d10, x9\n\tmov x9, #0xB0B\n\tfmov d11, x9\n\t"
      "mov x9, #0xC0C\n\tfmov d12, x9\n\tmov x9, #0xD0D\n\tfmov d13, x9\n\t"
      "mov x9, #0xE0E\n\tfmov d14, x9\n\tmov x9, #0xF0F\n\tfmov d15, x9\n\t"
      "bl rt_ctx_swap\n\t"
      "ldr x9, %[out]\n\t"
      "stp x19, x20, [x9, #0]\n\tstp x21, x22, [x9, #16]\n\tstp x23, x24, [x9, #32]\n\t"
      "stp x25, x26, [x9, #48]\n\tstp x27, x28, [x9, #64]\n\t"
      "stp d8, d9, [x9, #80]\n\tstp d10, d11, [x9, #96]\n\t"
      "stp d12, d13, [x9, #112]\n\tstp d14, d15, [x9, #128]\n\t"
      :
      : [save] "m"(save), [to] "m"(to), [out] "m"(out)
      : A64_CLOBBERS);
}

static void swap_back_with_garbage(void) {
  void **save = &b_sp;
  void *to = a_sp;
  __asm__ volatile(
      "ldr x0, %[save]\n\tldr x1, %[to]\n\t"
      "mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\tmov x22, #-1\n\t"
      "mov x23, #-1\n\tmov x24, #-1\n\tmov x25, #-1\n\tmov x26, #-1\n\t"
      "mov x27, #-1\n\tmov x28, #-1\n\t"
      "fmov d8, x19\n\tfmov d9, x19\n\tfmov d10, x19\n\tfmov d11, x19\n\t"
      "fmov d12, x19\n\tfmov d13, x19\n\tfmov d14, x19\n\tfmov d15, x19\n\t"
      "bl rt_ctx_swap\n\t"
      :
      : [save] "m"(save), [to] "m"(to)
      : A64_CLOBBERS);
}
#endif

static int b_first_round;      /* rounding mode B saw when it started */
#if defined(__x86_64__)
static uint32_t b_first_mxcsr; /* MXCSR B saw when it started */
#endif

static void b_main(void *arg) {
  (void)arg;
  b_first_round = fegetround();
#if defined(__x86_64__)
  b_first_mxcsr = read_mxcsr();
#endif
  fesetround(FE_UPWARD);
  for (;;) {
    b_rounds++;
    CHECKF(fegetround() == FE_UPWARD, "B lost its rounding mode");
    swap_back_with_garbage();
  }
}

/* rt_ctx_start's context: what it saw, then back to main for good. */
static void *c_sp;
static int c_round = -1;       /* rounding mode it started with */
static uintptr_t c_frame;      /* its frame address: 16-aligned under the ABI */
static void *c_arg;            /* the argument it got */

static void c_main(void *arg) {
  c_arg = arg;
  c_round = fegetround();
  c_frame = (uintptr_t)__builtin_frame_address(0);
  rt_ctx_swap(&c_sp, a_sp);
  CHECKF(0, "a started context was resumed");
}

int main(void) {
  size_t size = 64 * 1024;
  bool guarded;
  char *stack = ctx_stack_alloc(size, &guarded);
  CHECK(stack != NULL);
  CHECK(guarded || *(uint64_t *)stack == CTX_CANARY);
  b_sp = rt_ctx_init(stack, size, b_main, NULL);

  fesetround(FE_TOWARDZERO);
  for (int i = 0; i < 1000; i++) {
    uint64_t out[NREGS];
    swap_with_patterns(out);
    for (int r = 0; r < NREGS; r++)
      CHECKF(out[r] == want[r], "register %d: %#llx", r, (unsigned long long)out[r]);
#if defined(__x86_64__)
    CHECK((read_mxcsr() & 0x6000) == 0x6000);    /* SSE: toward zero */
    CHECK((read_fpcw() & 0x0C00) == 0x0C00);     /* x87: toward zero */
#endif
    CHECK(fegetround() == FE_TOWARDZERO);
    if (check_failures) break;
  }
  CHECK_EQ(b_rounds, 1000);
  /* A fresh context starts with the defaults, not its creator's mode. */
  CHECK(b_first_round == FE_TONEAREST);
#if defined(__x86_64__)
  CHECK_EQ(b_first_mxcsr & 0xFFC0, 0x1F80);
#endif
  /* rt_ctx_start: a fresh stack entered straight from the switch gets
  ** its argument, an aligned frame and the default FP modes, and the
  ** starter comes back with its own. */
  char *cstack = ctx_stack_alloc(size, &guarded);
  CHECK(cstack != NULL);
  int token;
  rt_ctx_start(&a_sp, cstack + size - 256, c_main, &token);
  CHECK(c_arg == &token);
  CHECK(c_round == FE_TONEAREST);
  CHECKF(c_frame % 16 == 0 && c_frame > (uintptr_t)cstack && c_frame < (uintptr_t)cstack + size,
         "frame %#lx", (unsigned long)c_frame);
  CHECK(fegetround() == FE_TOWARDZERO);
  fesetround(FE_TONEAREST);
  ctx_stacks_release();
  return check_done("test_ctx");
}
