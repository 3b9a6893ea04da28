/*
** ctx.h: execution contexts and their stacks (internal).
**
** A context is a saved stack pointer (see ctx_*.S).  Stacks are mmap'ed
** with a PROT_NONE guard page below them; running into it raises SIGSEGV,
** which a handler on an alternate signal stack reports as a stack
** overflow of the running G.
*/
#ifndef CTX_H
#define CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Saves the running context's registers on its stack, stores its sp in
** *save_sp and resumes the context whose sp is to_sp. */
void rt_ctx_swap(void **save_sp, void *to_sp);

/* Prepares a fresh context on [stack_lo, stack_lo + size) that will call
** fn(arg) when first switched to, with default FP control words.  fn must
** never return.  Returns the context's sp. */
void *rt_ctx_init(char *stack_lo, size_t size, void (*fn)(void *), void *arg);

/* Saves the running context as rt_ctx_swap does and starts fn(arg) on a
** fresh stack below top (16-byte aligned) with default FP control words,
** writing nothing to that stack before fn runs.  fn must never return. */
void rt_ctx_start(void **save_sp, void *top, void (*fn)(void *), void *arg);

/* A stack of `size` usable bytes (rounded up to pages) with, when the OS
** allows (*guarded), a guard page below it; without one, CTX_CANARY in its
** lowest 8 bytes.  Returns its lowest usable byte, or NULL.  Stacks live until
** ctx_stacks_release, which unmaps all of them (end of a run). */
char *ctx_stack_alloc(size_t size, bool *guarded);
void ctx_stacks_release(void);
size_t ctx_page_size(void);

#define CTX_CANARY 0x5AFE57ACC0DE5AFEull

/* Installs the SIGSEGV handler (once per process) and gives the calling
** thread an alternate signal stack.  `describe` is asked whether a fault
** address lies in the running G's guard page; when it writes a message,
** the handler prints it and exits with status 2. */
typedef bool (*ctx_fault_fn)(void *addr, char *msg, size_t len);
int ctx_thread_init(ctx_fault_fn describe, void **altstack);
void ctx_thread_fini(void *altstack);

/* ---- sanitizer builds: fiber annotations ---- */
#if defined(__SANITIZE_ADDRESS__)
# define RT_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define RT_ASAN 1
# endif
#endif
#if defined(__SANITIZE_THREAD__)
# define RT_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define RT_TSAN 1
# endif
#endif

#ifdef RT_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef RT_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

#endif
