/*
** test_ctx.c: the raw context switch keeps every callee-saved register
** and both floating-point control words of each context, and fresh
** contexts start with default FP control words.
**
** Context A fills the callee-saved registers with patterns and switches to
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

#if defined(__x86_64__)
/* Switch to B with known values in rbx, r12-r15 and read them back. */
static void swap_with_patterns(uint64_t out[5]) {
  void **save = &a_sp;
  void *to = b_sp;
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
      : [save] "m"(save), [to] "m"(to), [out] "m"(out)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "memory", "cc");
}

/* B's side: garbage in every callee-saved register, then back to A. */
static void swap_back_with_garbage(void) {
  void **save = &b_sp;
  void *to = a_sp;
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
      : [save] "m"(save), [to] "m"(to)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "memory", "cc");
}

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
#endif

static int b_first_round;      /* rounding mode B saw when it started */
static uint32_t b_first_mxcsr; /* MXCSR B saw when it started */

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
#if defined(__x86_64__)
    swap_back_with_garbage();
#else
    rt_ctx_swap(&b_sp, a_sp);
#endif
  }
}

int main(void) {
  size_t size = 64 * 1024;
  char *stack = ctx_stack_alloc(size);
  CHECK(stack != NULL);
  b_sp = rt_ctx_init(stack, size, b_main, NULL);

  fesetround(FE_TOWARDZERO);
  for (int i = 0; i < 1000; i++) {
#if defined(__x86_64__)
    uint64_t out[5];
    swap_with_patterns(out);
    CHECK(out[0] == 0x1111111111111111ull);
    CHECK(out[1] == 0x1212121212121212ull);
    CHECK(out[2] == 0x1313131313131313ull);
    CHECK(out[3] == 0x1414141414141414ull);
    CHECK(out[4] == 0x1515151515151515ull);
    CHECK((read_mxcsr() & 0x6000) == 0x6000);    /* SSE: toward zero */
    CHECK((read_fpcw() & 0x0C00) == 0x0C00);     /* x87: toward zero */
#else
    rt_ctx_swap(&a_sp, b_sp);
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
  fesetround(FE_TONEAREST);
  ctx_stack_free(stack, size);
  return check_done("test_ctx");
}
