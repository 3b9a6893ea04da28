/*
** cbench.cc: the C++ half of the cbench bridge (see cbench.h).  A
** cbench_state is a benchmark::State seen from C; this file registers
** cbench_table's rows and runs Google Benchmark's main loop.
*/
#include "cbench.h"

#include <benchmark/benchmark.h>

/* What C holds of one run: the State, and how many arguments it has
** (State::range does not check its index). */
struct cbench_state {
  benchmark::State *st;  // the run
  int nargs;             // arguments registered for the row: 0 or 1
};

static benchmark::State &cb_st(cbench_state *s) { return *s->st; }

extern "C" {

bool cbench_keep_running(cbench_state *s) { return cb_st(s).KeepRunning(); }

int64_t cbench_range(cbench_state *s, int i) {
  return i >= 0 && i < s->nargs ? cb_st(s).range(static_cast<size_t>(i)) : 0;
}

void cbench_set_items(cbench_state *s, int64_t items) { cb_st(s).SetItemsProcessed(items); }

void cbench_counter(cbench_state *s, const char *name, double value) {
  cb_st(s).counters[name] = value;
}

void cbench_pause(cbench_state *s) { cb_st(s).PauseTiming(); }

void cbench_resume(cbench_state *s) { cb_st(s).ResumeTiming(); }

void cbench_skip(cbench_state *s, const char *msg) { cb_st(s).SkipWithError(msg); }

}  // extern "C"

int main(int argc, char **argv) {
  for (const cbench_def *d = cbench_table; d->name; d++) {
    void (*fn)(cbench_state *) = d->fn;
    int nargs = d->arg != 0;
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        d->name, [fn, nargs](benchmark::State &st) {
          cbench_state s = {&st, nargs};
          fn(&s);
        });
    if (d->arg != 0) b->Arg(d->arg);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
