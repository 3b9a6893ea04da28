// rtlab-peer-go: rtlab's workloads written for Go's own runtime, the peer
// every scheduler policy is measured against.
//
// One trial per process, like `rtlab trial --json`: the workload runs once
// and one JSON line comes out with the same field names rtlab uses (where
// they mean something for Go), so an experiment can put both in one table.
//
//	rtlab-peer-go -workload NAME[,k=v...] [-n N] [-procs P] [-gs G] [-batch B]
//	              [-cap C] [-stages K] [-max_us U] [-clients C] [-size S]
//	              [-ms M] [-sleep_us U] [-depth D] [-long_depth D] [-max_depth D]
//	              [-array A] [-value V] [-keys K]
//
// Exit status: 0 ok, 1 the workload's self-check failed, 2 bad input.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// param is one declared workload parameter, with rtlab's range.
type param struct {
	name     string // as in "skynet,n=1000" and as a flag
	def      int64  // default, the same as rtlab's
	min, max int64  // inclusive range
}

// workload is one shape; run does it and returns operations done.
type workload struct {
	name   string                                  // rtlab's workload name
	params []param                                 // n first
	check  func(v map[string]int64) error          // rules beyond the ranges
	run    func(v map[string]int64) (int64, error) // does the work
}

var workloads = []workload{
	{"yield", []param{{"n", 1000000, 1, 1e12}, {"gs", 2, 1, 100000}}, nil, runYield},
	{"spawn", []param{{"n", 100000, 1, 1e12}, {"batch", 10000, 1, 1000000}}, nil, runSpawn},
	{"skynet", []param{{"n", 10000, 1, 1000000}}, checkSkynet, runSkynet},
	{"pingpong", []param{{"n", 200000, 1, 1e12}}, nil, runPingpong},
	{"chanbuf", []param{{"n", 2000000, 1, 1e12}, {"cap", 128, 0, 1e8}}, nil, runChanbuf},
	{"pipeline", []param{{"n", 100000, 1, 1e12}, {"stages", 8, 1, 10000}}, nil, runPipeline},
	{"timers", []param{{"n", 100000, 1, 1e9}, {"gs", 1000, 1, 1e6}, {"max_us", 1000, 0, 1e7}},
		nil, runTimers},
	{"echo", []param{{"n", 2000, 1, 1e9}, {"clients", 16, 1, 10000}, {"size", 64, 1, 1048576}},
		nil, runEcho},
	{"hog", []param{{"n", 1, 1, 1024}, {"ms", 500, 1, 1e6}, {"sleep_us", 1000, 1, 1e6}},
		nil, runHog},
	{"binarytrees", []param{{"n", 1, 1, 1000}, {"depth", 16, 4, 24}}, nil, runBinarytrees},
	{"gcbench", []param{{"n", 1, 1, 1000}, {"long_depth", 16, 4, 22}, {"max_depth", 16, 4, 22},
		{"array", 500000, 0, 1e8}}, nil, runGcbench},
	{"lru", []param{{"n", 1000000, 1, 1e10}, {"size", 100000, 1, 1e8}, {"value", 128, 0, 1e6},
		{"keys", 400000, 1, 1e10}}, nil, runLRU},
	{"roots", []param{{"n", 2000000, 1, 1e10}, {"gs", 64, 1, 10000}, {"depth", 64, 1, 500}},
		nil, runRoots},
	{"mutate", []param{{"n", 4000000, 1, 1e11}, {"gs", 4, 1, 1000}, {"nodes", 100000, 2, 1e8},
		{"replace", 25, 0, 100}}, nil, runMutate},
}

func names() string {
	var s []string
	for _, w := range workloads {
		s = append(s, w.name)
	}
	return strings.Join(s, ", ")
}

func usageErr(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "rtlab-peer-go: "+format+"\n", a...)
	os.Exit(2)
}

// resolve finds the workload of spec "name[,k=v...]" and its values:
// defaults, then the spec's pairs, then the flags given explicitly.
func resolve(spec string, flags map[string]string) (*workload, map[string]int64) {
	parts := strings.Split(spec, ",")
	var w *workload
	for i := range workloads {
		if workloads[i].name == parts[0] {
			w = &workloads[i]
		}
	}
	if w == nil {
		usageErr("unknown workload '%s' (allowed: %s)", parts[0], names())
	}
	v := map[string]int64{}
	var allowed []string
	for _, p := range w.params {
		v[p.name] = p.def
		allowed = append(allowed, p.name)
	}
	set := func(k, s string) {
		var p *param
		for i := range w.params {
			if w.params[i].name == k {
				p = &w.params[i]
			}
		}
		if p == nil {
			usageErr("workload '%s': unknown parameter '%s' (allowed: %s)", w.name, k,
				strings.Join(allowed, ", "))
		}
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil || x < p.min || x > p.max {
			usageErr("workload '%s': parameter '%s' wants an integer in [%d, %d], got '%s'",
				w.name, k, p.min, p.max, s)
		}
		v[k] = x
	}
	for _, kv := range parts[1:] {
		eq := strings.IndexByte(kv, '=')
		if eq < 0 {
			usageErr("workload '%s': '%s' is not k=v", w.name, kv)
		}
		set(kv[:eq], kv[eq+1:])
	}
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set(k, flags[k])
	}
	if w.check != nil {
		if err := w.check(v); err != nil {
			usageErr("%v", err)
		}
	}
	return w, v
}

// ordered writes a JSON object whose keys keep their order.
type ordered []struct {
	k string      // key
	v interface{} // value, encoded with encoding/json
}

func (o ordered) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, kv := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func (o *ordered) add(k string, v interface{}) {
	*o = append(*o, struct {
		k string
		v interface{}
	}{k, v})
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

// span is the part of a trial that wall_ns, user_ns and sys_ns cover: all
// of run, unless the workload narrows it by calling start and end itself
// (echo leaves out its listener's set-up and tear-down, hog its calibration).
type span struct {
	t0, t1   time.Time      // start and end (monotonic readings)
	ru0, ru1 syscall.Rusage // the process's resource usage at each
	ended    bool           // end was called after the last start
}

// timed is the trial's span: main starts it before run and ends it after,
// unless run has ended it already.
var timed span

func (s *span) start() { s.ru0 = rusage(); s.t0 = time.Now(); s.ended = false }
func (s *span) end()   { s.t1 = time.Now(); s.ru1 = rusage(); s.ended = true }

func main() {
	spec := flag.String("workload", "", "NAME[,k=v...]: "+names())
	procs := flag.Int("procs", 1, "GOMAXPROCS, 1..1024")
	list := flag.Bool("list", false, "print the workload names, one per line, and exit")
	for _, n := range []string{"n", "gs", "batch", "cap", "stages", "max_us", "clients",
		"size", "ms", "sleep_us", "depth", "long_depth", "max_depth", "array", "value", "keys"} {
		flag.String(n, "", "workload parameter "+n+" (as in NAME,"+n+"=...)")
	}
	flag.Parse()
	if flag.NArg() > 0 {
		usageErr("unexpected argument '%s'", flag.Arg(0))
	}
	if *list {
		for _, w := range workloads {
			fmt.Println(w.name)
		}
		return
	}
	if *spec == "" {
		usageErr("-workload is required (allowed: %s)", names())
	}
	if *procs < 1 || *procs > 1024 {
		usageErr("-procs wants an integer in [1, 1024], got %d", *procs)
	}
	given := map[string]string{}
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "workload" && f.Name != "procs" {
			given[f.Name] = f.Value.String()
		}
	})
	w, v := resolve(*spec, given)
	runtime.GOMAXPROCS(*procs)

	runtime.GC() // start from a clean heap, as rtlab starts a fresh runtime
	gc0 := gcNow()
	timed.start()
	ops, err := w.run(v)
	if !timed.ended {
		timed.end()
	}
	gc1 := gcNow()
	wall := timed.t1.Sub(timed.t0).Nanoseconds()
	ru0, ru1 := timed.ru0, timed.ru1

	params := ordered{}
	for _, p := range w.params {
		params.add(p.name, v[p.name])
	}
	sched := ordered{}
	sched.add("name", "go-runtime")
	sched.add("params", ordered{})
	sched.add("spec", "go-runtime")
	host, _ := os.Hostname()
	out := ordered{}
	out.add("workload", w.name)
	out.add("params", params)
	out.add("sched", sched)
	out.add("procs", *procs)
	if err == nil {
		out.add("status", "ok")
	} else {
		out.add("status", "error")
		out.add("error", err.Error())
	}
	out.add("wall_ns", wall)
	out.add("user_ns", syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime))
	out.add("sys_ns", syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	out.add("ops", ops)
	if ops > 0 {
		out.add("ns_per_op", float64(wall)/float64(ops))
	} else {
		out.add("ns_per_op", nil)
	}
	out.add("maxrss_kb", ru1.Maxrss)
	if latency != nil { // workloads that time events, as rtlab's wl_latency
		lat := ordered{}
		lat.add("p50_ns", latency[(len(latency)+1)/2-1])
		lat.add("p99_ns", latency[(len(latency)*99+99)/100-1])
		lat.add("max_ns", latency[len(latency)-1])
		out.add("latency", lat)
	}
	out.add("gcstats", gcSince(gc0, gc1))
	out.add("peer", "go")
	out.add("go_version", runtime.Version())
	out.add("host", host)
	out.add("time", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
	if err != nil {
		fmt.Fprintf(os.Stderr, "rtlab-peer-go: %v\n", err)
		os.Exit(1)
	}
}
