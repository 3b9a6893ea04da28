/*
** wl_chan.c: workloads that stress channels: pingpong (a round trip over
** two unbuffered channels, i.e. two blocking hand-offs), chanbuf (one
** producer, one consumer, a buffered channel) and pipeline (items flowing
** through a chain of stages over unbuffered channels).
**
** The main G is always the last consumer and checks every value it gets
** (each is its sequence number, plus one per stage it went through), so a
** lost, duplicated or reordered element fails the trial.  Helper Gs
** signal a WaitGroup as their last action; channels are freed only after
** it (see wl_sched.c).
*/
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>

/* ==== pingpong ======================================================= */

enum { PP_N };
static const rt_param pp_params[] = {
  {"n", RT_PT_INT, 500000, 1, 1e12, NULL, "round trips"},
};

/* The two channels and the ponger's exit signal. */
typedef struct pp_state {
  rt_chan *ping;           /* main -> ponger */
  rt_chan *pong;           /* ponger -> main */
  rt_waitgroup wg;         /* the ponger has left */
} pp_state;

static void pp_ponger(void *arg) {
  pp_state *s = arg;
  int64_t x;
  while (rt_chan_recv(s->ping, &x)) {
    x++;
    rt_chan_send(s->pong, &x);
  }
  rt_wg_done(&s->wg);
}

static int pp_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[PP_N].i;
  pp_state s = {0};
  s.ping = rt_chan_make(sizeof(int64_t), 0);
  s.pong = rt_chan_make(sizeof(int64_t), 0);
  int rc = 0;
  if (!s.ping || !s.pong) {
    rc = RT_ENOMEM;
    snprintf(err, errlen, "pingpong: out of memory");
    goto out;
  }
  rt_wg_add(&s.wg, 1);
  rt_go(pp_ponger, &s);
  int64_t i = 0;
  for (; i < n; i++) {
    int64_t x = i, y = -1;
    rt_chan_send(s.ping, &x);
    rt_chan_recv(s.pong, &y);
    if (y != i + 1) {
      snprintf(err, errlen, "pingpong: round trip %lld came back as %lld, want %lld",
               (long long)i, (long long)y, (long long)(i + 1));
      rc = 1;
      break;
    }
  }
  rt_chan_close(s.ping);
  rt_wg_wait(&s.wg);
  *ops = (uint64_t)i;
out:
  if (s.ping) rt_chan_free(s.ping);
  if (s.pong) rt_chan_free(s.pong);
  return rc;
}

const wl_desc wl_pingpong = {
  "pingpong", "two Gs bounce an integer over two unbuffered channels (round trips)",
  pp_params, 1, NULL, pp_run,
};

/* ==== chanbuf ======================================================== */

enum { CB_N, CB_CAP };
static const rt_param cb_params[] = {
  {"n", RT_PT_INT, 2000000, 1, 1e12, NULL, "elements sent"},
  {"cap", RT_PT_INT, 128, 0, 1e8, NULL, "channel capacity (0 = unbuffered)"},
};

/* The channel and the producer's parameters. */
typedef struct cb_state {
  rt_chan *c;              /* producer -> main */
  int64_t n;               /* elements to send */
  rt_waitgroup wg;         /* the producer has left */
} cb_state;

static void cb_producer(void *arg) {
  cb_state *s = arg;
  for (int64_t i = 0; i < s->n; i++) rt_chan_send(s->c, &i);
  rt_chan_close(s->c);
  rt_wg_done(&s->wg);
}

static int cb_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  cb_state s = {.n = v[CB_N].i};
  s.c = rt_chan_make(sizeof(int64_t), (size_t)v[CB_CAP].i);
  if (!s.c) return snprintf(err, errlen, "chanbuf: out of memory"), RT_ENOMEM;
  rt_wg_add(&s.wg, 1);
  rt_go(cb_producer, &s);
  int64_t want = 0, x;
  int rc = 0;
  while (rt_chan_recv(s.c, &x)) {
    if (x != want && rc == 0) {
      snprintf(err, errlen, "chanbuf: element %lld arrived as %lld", (long long)want,
               (long long)x);
      rc = 1;  /* keep draining so the producer can finish */
    }
    want++;
  }
  rt_wg_wait(&s.wg);
  rt_chan_free(s.c);
  *ops = (uint64_t)want;
  if (rc == 0 && want != s.n) {
    snprintf(err, errlen, "chanbuf: %lld elements arrived, want %lld", (long long)want,
             (long long)s.n);
    rc = 1;
  }
  return rc;
}

const wl_desc wl_chanbuf = {
  "chanbuf", "one producer sends n integers over a buffered channel to one consumer",
  cb_params, 2, NULL, cb_run,
};

/* ==== pipeline ======================================================= */

enum { PL_N, PL_STAGES };
static const rt_param pl_params[] = {
  {"n", RT_PT_INT, 100000, 1, 1e12, NULL, "items pushed through the chain"},
  {"stages", RT_PT_INT, 8, 1, 10000, NULL, "stages (Gs) between source and sink"},
};

/* One stage: reads from in, adds one, writes to out. */
typedef struct pl_stage {
  rt_chan *in, *out;       /* neighbours in the chain */
  rt_waitgroup *wg;        /* signalled when the stage leaves */
  int64_t n;               /* source only: items to send */
} pl_stage;

static void pl_source(void *arg) {
  pl_stage *st = arg;
  for (int64_t i = 0; i < st->n; i++) rt_chan_send(st->out, &i);
  rt_chan_close(st->out);
  rt_wg_done(st->wg);
}

static void pl_stage_run(void *arg) {
  pl_stage *st = arg;
  int64_t x;
  while (rt_chan_recv(st->in, &x)) {
    x++;
    rt_chan_send(st->out, &x);
  }
  rt_chan_close(st->out);
  rt_wg_done(st->wg);
}

static int pl_run(const rt_pval *v, uint64_t *ops, char *err, size_t errlen) {
  int64_t n = v[PL_N].i, k = v[PL_STAGES].i;
  rt_chan **ch = calloc((size_t)k + 1, sizeof *ch);
  pl_stage *st = calloc((size_t)k + 1, sizeof *st);  /* st[0] is the source */
  int rc = 0;
  for (int64_t i = 0; ch && i <= k && rc == 0; i++)
    if (!(ch[i] = rt_chan_make(sizeof(int64_t), 0))) rc = RT_ENOMEM;
  if (!ch || !st || rc) {
    snprintf(err, errlen, "pipeline: out of memory");
    rc = RT_ENOMEM;
    goto out;
  }
  rt_waitgroup wg = {0};
  rt_wg_add(&wg, k + 1);
  st[0] = (pl_stage){NULL, ch[0], &wg, n};
  rt_go(pl_source, &st[0]);
  for (int64_t i = 1; i <= k; i++) {
    st[i] = (pl_stage){ch[i - 1], ch[i], &wg, 0};
    rt_go(pl_stage_run, &st[i]);
  }
  int64_t got = 0, x;
  while (rt_chan_recv(ch[k], &x)) {
    if (x != got + k && rc == 0) {
      snprintf(err, errlen, "pipeline: item %lld arrived as %lld, want %lld", (long long)got,
               (long long)x, (long long)(got + k));
      rc = 1;  /* keep draining so every stage can finish */
    }
    got++;
  }
  rt_wg_wait(&wg);
  *ops = (uint64_t)got;
  if (rc == 0 && got != n) {
    snprintf(err, errlen, "pipeline: %lld items arrived, want %lld", (long long)got,
             (long long)n);
    rc = 1;
  }
out:
  for (int64_t i = 0; ch && i <= k; i++)
    if (ch[i]) rt_chan_free(ch[i]);
  free(ch);
  free(st);
  return rc;
}

const wl_desc wl_pipeline = {
  "pipeline", "n items flow through a chain of stages joined by unbuffered channels",
  pl_params, 2, NULL, pl_run,
};
