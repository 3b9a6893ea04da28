// gcstats.go: the collector's figures of a trial, in the shape of rtlab's
// trial JSON gcstats (cycles, pause_total_ns, pause_p50_ns, pause_p99_ns,
// pause_max_ns), from runtime/metrics: every stop-the-world pause of the
// span, one by one (Go stops the world twice a cycle), as rtlab counts
// them.  The pause histogram's buckets are exponential with sub-buckets
// (at most a few percent wide), so the percentiles and the maximum are
// the upper bounds of their buckets; the total comes from MemStats.

package main

import (
	"math"
	"runtime"
	"runtime/metrics"
)

// gcSnap is what the collector had done at one moment.
type gcSnap struct {
	cycles uint64   // completed cycles
	counts []uint64 // pauses per histogram bucket
	bounds []float64
	total  uint64 // pause time, ns (MemStats.PauseTotalNs)
}

func gcNow() gcSnap {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/pauses:seconds"}}
	metrics.Read(s)
	h := s[1].Value.Float64Histogram()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return gcSnap{cycles: s[0].Value.Uint64(), counts: append([]uint64(nil), h.Counts...),
		bounds: h.Buckets, total: ms.PauseTotalNs}
}

// gcSince is the gcstats object for what happened between a and b.
func gcSince(a, b gcSnap) ordered {
	n := uint64(0)
	d := make([]uint64, len(b.counts))
	for i := range b.counts {
		d[i] = b.counts[i] - a.counts[i]
		n += d[i]
	}
	// The pause at rank r (1-based) as its bucket's upper bound, in ns.
	at := func(r uint64) interface{} {
		if n == 0 {
			return nil
		}
		seen := uint64(0)
		for i, c := range d {
			seen += c
			if seen >= r {
				hi := b.bounds[i+1]
				if math.IsInf(hi, 1) {
					hi = b.bounds[i]
				}
				return int64(hi * 1e9)
			}
		}
		return nil
	}
	g := ordered{}
	g.add("cycles", b.cycles-a.cycles)
	g.add("pauses", n)
	g.add("pause_total_ns", b.total-a.total)
	g.add("pause_p50_ns", at((n+1)/2))
	g.add("pause_p99_ns", at((n*99+99)/100))
	g.add("pause_max_ns", at(n))
	return g
}
