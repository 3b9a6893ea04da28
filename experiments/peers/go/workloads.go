// The workloads, shaped as rtlab's experiments/workloads/*.c are: the same
// goroutines, channels and counts, the same self-checks, the same
// definition of one operation.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// yield: gs goroutines call Gosched n times in total.
func runYield(v map[string]int64) (int64, error) {
	n, gs := v["n"], v["gs"]
	done := make([]int64, gs)
	var wg sync.WaitGroup
	wg.Add(int(gs))
	for i := int64(0); i < gs; i++ {
		share := n / gs
		if i < n%gs {
			share++
		}
		go func(i, share int64) {
			for k := int64(0); k < share; k++ {
				runtime.Gosched()
				done[i]++
			}
			wg.Done()
		}(i, share)
	}
	wg.Wait()
	total := int64(0)
	for _, d := range done {
		total += d
	}
	if total != n {
		return total, fmt.Errorf("yield: %d yields done, want %d", total, n)
	}
	return total, nil
}

// spawn: n goroutines in batches; each bumps a counter and signals.
func runSpawn(v map[string]int64) (int64, error) {
	n, batch := v["n"], v["batch"]
	var ran int64
	var wg sync.WaitGroup
	for left := n; left > 0; {
		k := batch
		if left < k {
			k = left
		}
		wg.Add(int(k))
		for i := int64(0); i < k; i++ {
			go func() {
				atomic.AddInt64(&ran, 1)
				wg.Done()
			}()
		}
		wg.Wait()
		left -= k
	}
	if ran != n {
		return ran, fmt.Errorf("spawn: %d goroutines ran, want %d", ran, n)
	}
	return ran, nil
}

// skynet: a tree with fan-out 10 and n leaves; leaf i sends i up an
// unbuffered channel, each internal node sums its ten children.
const skFan = 10

func checkSkynet(v map[string]int64) error {
	p := int64(1)
	for p < v["n"] {
		p *= skFan
	}
	if p != v["n"] {
		return fmt.Errorf("workload 'skynet': parameter 'n' must be a power of 10 "+
			"(1, 10, 100, ...), got %d", v["n"])
	}
	return nil
}

func skNode(out chan<- int64, num, size int64) {
	if size == 1 {
		out <- num
		return
	}
	c := make(chan int64)
	step := size / skFan
	for k := int64(0); k < skFan; k++ {
		go skNode(c, num+k*step, step)
	}
	sum := int64(0)
	for k := 0; k < skFan; k++ {
		sum += <-c
	}
	out <- sum
}

func runSkynet(v map[string]int64) (int64, error) {
	n := v["n"]
	root := make(chan int64)
	go skNode(root, 0, n)
	sum := <-root
	if want := n * (n - 1) / 2; sum != want {
		return n, fmt.Errorf("skynet: sum %d, want %d", sum, want)
	}
	return n, nil
}

// pingpong: n round trips of an integer over two unbuffered channels.
func runPingpong(v map[string]int64) (int64, error) {
	n := v["n"]
	ping, pong := make(chan int64), make(chan int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for x := range ping {
			pong <- x + 1
		}
		wg.Done()
	}()
	var err error
	i := int64(0)
	for ; i < n; i++ {
		ping <- i
		if y := <-pong; y != i+1 {
			err = fmt.Errorf("pingpong: round trip %d came back as %d, want %d", i, y, i+1)
			break
		}
	}
	close(ping)
	wg.Wait()
	return i, err
}

// chanbuf: one producer sends n integers over a channel of capacity cap.
func runChanbuf(v map[string]int64) (int64, error) {
	n := v["n"]
	c := make(chan int64, v["cap"])
	go func() {
		for i := int64(0); i < n; i++ {
			c <- i
		}
		close(c)
	}()
	var err error
	want := int64(0)
	for x := range c {
		if x != want && err == nil {
			err = fmt.Errorf("chanbuf: element %d arrived as %d", want, x)
		}
		want++
	}
	if err == nil && want != n {
		err = fmt.Errorf("chanbuf: %d elements arrived, want %d", want, n)
	}
	return want, err
}

// pipeline: n items through `stages` goroutines that each add one.
func runPipeline(v map[string]int64) (int64, error) {
	n, k := v["n"], v["stages"]
	src := make(chan int64)
	go func() {
		for i := int64(0); i < n; i++ {
			src <- i
		}
		close(src)
	}()
	in := src
	for s := int64(0); s < k; s++ {
		out := make(chan int64)
		go func(in <-chan int64, out chan<- int64) {
			for x := range in {
				out <- x + 1
			}
			close(out)
		}(in, out)
		in = out
	}
	var err error
	got := int64(0)
	for x := range in {
		if x != got+k && err == nil {
			err = fmt.Errorf("pipeline: item %d arrived as %d, want %d", got, x, got+k)
		}
		got++
	}
	if err == nil && got != n {
		err = fmt.Errorf("pipeline: %d items arrived, want %d", got, n)
	}
	return got, err
}

// latency holds the samples a workload timed (ns), sorted, or nil.
var latency []int64

// timers: gs goroutines each sleep n/gs times for a random duration in
// [0, max_us] µs and record how late each wake-up came (rtlab's timers).
func runTimers(v map[string]int64) (int64, error) {
	n, gs, maxNs := v["n"], v["gs"], v["max_us"]*1000
	if gs > n {
		gs = n
	}
	late := make([]int64, n)
	early := make([]int, gs)
	var wg sync.WaitGroup
	at := int64(0)
	for i := int64(0); i < gs; i++ {
		share := n / gs
		if i < n%gs {
			share++
		}
		wg.Add(1)
		go func(i int64, out []int64) {
			defer wg.Done()
			rng := uint64(0x9E3779B97F4A7C15) * uint64(i+1)
			for k := range out {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				d := int64(0)
				if maxNs > 0 {
					d = int64(rng % uint64(maxNs+1))
				}
				t0 := time.Now()
				time.Sleep(time.Duration(d))
				l := time.Since(t0).Nanoseconds() - d
				if l < 0 {
					early[i]++
					l = 0
				}
				out[k] = l
			}
		}(i, late[at:at+share])
		at += share
	}
	wg.Wait()
	for _, e := range early {
		if e > 0 {
			return n, fmt.Errorf("timers: wake-ups came before their deadline")
		}
	}
	sort.Slice(late, func(a, b int) bool { return late[a] < late[b] })
	latency = late
	return n, nil
}

// hogLine pads each hog's slot to rtlab's WL_LINE, so two hogs never
// share a cache line.
const hogLine = 128

// hogSlot is one hog's result.
type hogSlot struct {
	x uint64            // the hog's final xorshift state: never 0
	_ [hogLine - 8]byte // padding to hogLine
}

// hogSpin runs k steps of xorshift64 from x (nonzero, so the result is
// nonzero too).  The loop makes no calls: it has no safe point for
// cooperative preemption, and only Go's asynchronous (signal) preemption
// can stop it.  Not inlined, so the calibration times the hogs' code.
//
//go:noinline
func hogSpin(x uint64, k int64) uint64 {
	for ; k > 0; k-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// hogSeed is hog i's starting state: an odd constant times i+1, never 0.
func hogSeed(i int64) uint64 { return 0x9E3779B97F4A7C15 * uint64(i+1) }

// hogTime is how long hogSpin takes for k steps; it fails if the loop's
// result shows it was not run.
func hogTime(k int64) (time.Duration, error) {
	t0 := time.Now()
	x := hogSpin(hogSeed(0), k)
	d := time.Since(t0)
	if x == 0 {
		return 0, fmt.Errorf("hog: the calibration loop ended in state 0")
	}
	return d, nil
}

// hogCalibrate measures hogSpin's steps per millisecond: it doubles the
// steps until a run takes >= 5 ms (the clock's resolution no longer
// matters), then keeps the fastest of three such runs, since a run the
// host interrupted only looks slower (one such run made a 500 ms hog
// spin 400 ms).
func hogCalibrate() (float64, error) {
	k := int64(1 << 22)
	d, err := hogTime(k)
	for ; err == nil && d < 5*time.Millisecond; d, err = hogTime(k) {
		k *= 2
	}
	for r := 0; r < 2 && err == nil; r++ {
		var d2 time.Duration
		if d2, err = hogTime(k); d2 < d {
			d = d2
		}
	}
	if err != nil {
		return 0, err
	}
	return float64(k) / (float64(d) / float64(time.Millisecond)), nil
}

// hog: n goroutines each spin for ms milliseconds in a loop without safe
// points, while one goroutine sleeps sleep_us over and over and records
// how late each wake-up came (rtlab's hog): the scheduler's preemption.
// The calibration is left out of the timed part.
func runHog(v map[string]int64) (int64, error) {
	n, ms, sleep := v["n"], v["ms"], v["sleep_us"]*1000
	perMs, err := hogCalibrate()
	if err != nil {
		return 0, err
	}
	iters := int64(float64(ms) * perMs)
	// Room for the usual number of samples, so appends do not allocate
	// while the latency goroutine measures.
	hint := ms * 1000000 / sleep
	if hint > 1<<16 {
		hint = 1 << 16
	}
	timed.start()
	var hogsDone int32 // atomic: set once every hog has finished
	started := make(chan struct{})
	samples := make(chan []int64)
	go func() {
		late := make([]int64, 0, hint+2)
		close(started)
		for {
			t0 := time.Now()
			time.Sleep(time.Duration(sleep))
			l := time.Since(t0).Nanoseconds() - sleep
			if l < 0 {
				l = 0
			}
			late = append(late, l)
			if atomic.LoadInt32(&hogsDone) != 0 {
				break
			}
		}
		samples <- late
	}()
	<-started
	slots := make([]hogSlot, n)
	var wg sync.WaitGroup
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func(i int64) {
			slots[i].x = hogSpin(hogSeed(i), iters)
			wg.Done()
		}(i)
	}
	wg.Wait()
	atomic.StoreInt32(&hogsDone, 1)
	late := <-samples
	for i := range slots {
		if slots[i].x == 0 {
			return n, fmt.Errorf("hog: hog %d ended in state 0", i)
		}
	}
	if len(late) == 0 {
		return n, fmt.Errorf("hog: no latency samples")
	}
	sort.Slice(late, func(a, b int) bool { return late[a] < late[b] })
	latency = late
	return n, nil
}
