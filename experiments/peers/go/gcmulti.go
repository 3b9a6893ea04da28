// roots and mutate: the collector's workloads with many goroutines, shaped
// as rtlab's (experiments/workloads/wl_gc.c).  roots: gs goroutines, each
// `depth` frames deep with one object per frame, allocate garbage and
// yield every 64 allocations.  mutate: gs goroutines rewire one shared
// graph (a table of `nodes` nodes, four edges each), each owning a slice
// of the table; the table's slots are read and written atomically, as
// rtlab's rt_store_ptr and its readers do.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

func mix(x uint64) uint64 { // splitmix64's finaliser, as rtlab's o_mix
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

type rootObj struct {
	id, check uint64
	pad       [32]byte
}

var sink *rootObj // keeps the garbage allocations from being optimised away

//go:noinline
func rootChurn(churn int64) {
	for i := int64(0); i < churn; i++ {
		x := &rootObj{id: uint64(i)}
		if i%64 == 63 {
			sink = x
			runtime.Gosched()
		}
	}
}

//go:noinline
func rootFrame(g uint64, d int, churn int64, bad *int64) {
	o := &rootObj{id: g<<16 | uint64(d)}
	o.check = mix(o.id)
	if d == 0 {
		rootChurn(churn)
	} else {
		rootFrame(g, d-1, churn, bad)
	}
	if o.check != mix(o.id) || o.id != g<<16|uint64(d) {
		atomic.AddInt64(bad, 1)
	}
}

func runRoots(v map[string]int64) (int64, error) {
	n, gs, depth := v["n"], v["gs"], int(v["depth"])
	var wg sync.WaitGroup
	var bad int64
	for i := int64(0); i < gs; i++ {
		churn := n / gs
		if i < n%gs {
			churn++
		}
		wg.Add(1)
		go func(g uint64, churn int64) {
			rootFrame(g, depth-1, churn, &bad)
			wg.Done()
		}(uint64(i), churn)
	}
	wg.Wait()
	if bad > 0 {
		return n, fmt.Errorf("roots: %d objects held by stack frames changed under them", bad)
	}
	return n, nil
}

// mutNode's edges are plain pointers: only the goroutine owning the
// node's table slot writes them.
type mutNode struct {
	e         [4]*mutNode
	id, check uint64
}

func xorshift(s *uint64) uint64 { // xorshift64*, as rtlab's r_rand
	x := *s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*s = x
	return x * 0x2545F4914F6CDD1D
}

func mutVerify(x *mutNode, hops int) int64 {
	if x == nil {
		return 0
	}
	bad := int64(0)
	if x.check != mix(x.id) {
		bad = 1
	}
	if hops > 0 {
		for _, e := range x.e {
			bad += mutVerify(e, hops-1)
		}
	}
	return bad
}

func runMutate(v map[string]int64) (int64, error) {
	n, gs, nodes, replace := v["n"], v["gs"], v["nodes"], v["replace"]
	if gs > nodes {
		gs = nodes
	}
	table := make([]atomic.Pointer[mutNode], nodes)
	seq := uint64(1)
	for i := range table {
		x := &mutNode{id: seq<<16 | 0xffff}
		seq++
		x.check = mix(x.id)
		table[i].Store(x)
	}
	var wg sync.WaitGroup
	for i := int64(0); i < gs; i++ {
		changes := n / gs
		if i < n%gs {
			changes++
		}
		wg.Add(1)
		go func(id uint64, lo, hi, changes int64) {
			rng := 0x9E3779B97F4A7C15 * (id + 1)
			seq := uint64(1)
			span := uint64(hi - lo)
			for c := int64(0); c < changes; c++ {
				i := lo + int64(xorshift(&rng)%span)
				x := table[i].Load()
				if int64(xorshift(&rng)%100) < replace {
					y := &mutNode{e: x.e, id: seq<<16 | id}
					seq++
					y.check = mix(y.id)
					table[i].Store(y)
				} else {
					j := xorshift(&rng) % uint64(nodes)
					x.e[xorshift(&rng)%4] = table[j].Load()
				}
				if c%256 == 255 {
					runtime.Gosched()
				}
			}
			wg.Done()
		}(uint64(i), nodes*i/gs, nodes*(i+1)/gs, changes)
	}
	wg.Wait()
	bad := int64(0)
	for i := range table {
		bad += mutVerify(table[i].Load(), 2)
	}
	if bad > 0 {
		return n, fmt.Errorf("mutate: %d reachable nodes lost their checksum", bad)
	}
	return n, nil
}
