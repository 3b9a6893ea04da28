// The collector's workloads, shaped as rtlab's and rtlab-peer-boehm's
// are: binarytrees and gcbench allocate trees the straightforward way
// (&node{}, default GOGC, no pools or arenas), lru keeps a fixed-size
// cache under random keys and times every request.  Single goroutine: the
// mutator is serial and -procs only gives the collector more Ps.
package main

import (
	"fmt"
	"sort"
	"syscall"
	"time"
	"unsafe"
)

// treeSize is the nodes in a complete binary tree of depth d.
func treeSize(d int) int64 { return 1<<(d+1) - 1 }

// btNode is a binarytrees node: two pointers, both nil at depth 0.
type btNode struct {
	left, right *btNode // subtrees, nil at depth 0
}

// btMake builds a tree of depth d bottom-up: children before parents.
func btMake(d int) *btNode {
	if d == 0 {
		return &btNode{}
	}
	return &btNode{btMake(d - 1), btMake(d - 1)}
}

// check counts t's nodes.
func (t *btNode) check() int64 {
	if t.left == nil {
		return 1
	}
	return 1 + t.left.check() + t.right.check()
}

// btVerify fails the workload unless the tree of depth d has all its nodes.
func btVerify(t *btNode, d int, what string) error {
	if got := t.check(); got != treeSize(d) {
		return fmt.Errorf("binarytrees: the %s tree of depth %d has %d nodes, want %d",
			what, d, got, treeSize(d))
	}
	return nil
}

// binarytrees: the Benchmarks Game's binary-trees, single-threaded, n
// times over: short-lived trees of every other depth around one
// long-lived tree.  One operation is one node allocated.
func runBinarytrees(v map[string]int64) (int64, error) {
	const minDepth = 4
	maxDepth := int(v["depth"])
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	ops := int64(0)
	for r := int64(0); r < v["n"]; r++ {
		if err := btVerify(btMake(maxDepth+1), maxDepth+1, "stretch"); err != nil {
			return ops, err
		}
		ops += treeSize(maxDepth + 1)
		longLived := btMake(maxDepth)
		ops += treeSize(maxDepth)
		for d := minDepth; d <= maxDepth; d += 2 {
			iters := int64(1) << (maxDepth - d + minDepth)
			for i := int64(0); i < iters; i++ {
				if err := btVerify(btMake(d), d, "short-lived"); err != nil {
					return ops, err
				}
			}
			ops += iters * treeSize(d)
		}
		if err := btVerify(longLived, maxDepth, "long-lived"); err != nil {
			return ops, err
		}
	}
	return ops, nil
}

// gcNode is GCBench's Node: two pointers and two ints it never reads
// (int32, as C's int: 24 bytes, the C peers' size).
type gcNode struct {
	left, right *gcNode // subtrees, nil at depth 0
	i, j        int32   // payload, as in the original: never read
}

// gcPopulate gives t (fresh) a complete tree of depth d below it,
// top-down: parents before children.
func gcPopulate(d int, t *gcNode) {
	if d <= 0 {
		return
	}
	d--
	t.left = &gcNode{}
	t.right = &gcNode{}
	gcPopulate(d, t.left)
	gcPopulate(d, t.right)
}

// gcMakeTree builds a tree of depth d bottom-up.
func gcMakeTree(d int) *gcNode {
	if d <= 0 {
		return &gcNode{}
	}
	return &gcNode{left: gcMakeTree(d - 1), right: gcMakeTree(d - 1)}
}

// gcbench: Ellis, Kovac and Boehm's GCBench, n times over: trees built
// top-down and bottom-up while a long-lived tree and a long-lived array of
// `array` float64s (pointer-free) stay live.  One operation is one node
// allocated.
func runGcbench(v map[string]int64) (int64, error) {
	const minDepth = 4
	longDepth, maxDepth := int(v["long_depth"]), int(v["max_depth"])
	ops := int64(0)
	for r := int64(0); r < v["n"]; r++ {
		gcMakeTree(maxDepth + 1) // the stretch tree, dropped at once
		ops += treeSize(maxDepth + 1)
		longLived := &gcNode{}
		gcPopulate(longDepth, longLived)
		ops += treeSize(longDepth)
		arr := make([]float64, v["array"])
		for i := 1; i < len(arr); i++ {
			arr[i] = 1.0 / float64(i)
		}
		for d := minDepth; d <= maxDepth; d += 2 {
			iters := 2 * treeSize(maxDepth) / treeSize(d)
			for i := int64(0); i < iters; i++ {
				gcPopulate(d, &gcNode{})
			}
			for i := int64(0); i < iters; i++ {
				gcMakeTree(d)
			}
			ops += 2 * iters * treeSize(d)
		}
		if longLived == nil || (len(arr) > 1000 && arr[1000] != 1.0/1000) {
			what := "array"
			if longLived == nil {
				what = "tree"
			}
			return ops, fmt.Errorf("gcbench: the long-lived %s did not survive", what)
		}
	}
	return ops, nil
}

// lruEntry is one cached key.
type lruEntry struct {
	key          int64     // the key it caches
	chain        *lruEntry // the next entry in its hash bucket
	newer, older *lruEntry // neighbours in the recency list, nil at the front and tail
	value        []byte    // value bytes, each the key's low byte
}

// lruBucket is key's bucket of nb: the high half of a Fibonacci hash, so
// consecutive keys spread, then reduced modulo nb (2 * size, any number).
func lruBucket(key int64, nb uint64) uint64 {
	return (uint64(key) * 0x9E3779B97F4A7C15 >> 32) % nb
}

// offHeap maps n int64s outside Go's heap, pages touched: the latency
// samples are the harness's, and in the heap they would raise GOGC's goal.
func offHeap(n int64) ([]int64, error) {
	b, err := syscall.Mmap(-1, 0, int(n*8), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(&b[0])), n), nil
}

// lru: a cache of `size` entries (a table of 2*size chained buckets and a
// recency list) under n requests for keys drawn uniformly from [0, keys)
// by xorshift64* (seed 1).  A hit moves its entry to the front and reads
// its value's first byte; a miss allocates an entry and a `value`-byte
// value, and evicts the tail when over size.  Each request is timed (the
// key's draw is not); the sample buffer is set up before the span and
// sorted after it.  One operation is one request.
func runLRU(v map[string]int64) (int64, error) {
	n, size, vsize, keys := v["n"], v["size"], v["value"], v["keys"]
	samples, err := offHeap(n)
	if err != nil {
		return 0, fmt.Errorf("lru: cannot map %d latency samples: %v", n, err)
	}
	timed.start()
	nb := 2 * uint64(size)
	buckets := make([]*lruEntry, nb)
	var front, tail *lruEntry
	count := int64(0) // entries cached
	rng := uint64(1)  // xorshift64* state
	bad := int64(-1)  // the first request whose hit read a wrong byte
	for i := int64(0); i < n; i++ {
		rng ^= rng >> 12
		rng ^= rng << 25
		rng ^= rng >> 27
		key := int64(rng * 0x2545F4914F6CDD1D % uint64(keys))
		t0 := time.Now()
		b := lruBucket(key, nb)
		e := buckets[b]
		for e != nil && e.key != key {
			e = e.chain
		}
		if e != nil { // hit: to the front, and read the value
			if e != front {
				e.newer.older = e.older
				if e.older != nil {
					e.older.newer = e.newer
				} else {
					tail = e.newer
				}
				e.newer, e.older = nil, front
				front.newer = e
				front = e
			}
			if vsize > 0 && e.value[0] != byte(key) && bad < 0 {
				bad = i
			}
		} else { // miss: a new entry at the front, the tail evicted if over size
			e = &lruEntry{key: key, chain: buckets[b], older: front, value: make([]byte, vsize)}
			for j := range e.value {
				e.value[j] = byte(key)
			}
			buckets[b] = e
			if front != nil {
				front.newer = e
			} else {
				tail = e
			}
			front = e
			if count++; count > size {
				old := tail
				p := &buckets[lruBucket(old.key, nb)]
				for *p != old {
					p = &(*p).chain
				}
				*p = old.chain
				tail = old.newer
				tail.older = nil
				count--
			}
		}
		samples[i] = time.Since(t0).Nanoseconds()
	}
	timed.end()
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	latency = samples
	if bad >= 0 {
		return n, fmt.Errorf("lru: request %d hit a value whose byte is not its key's", bad)
	}
	return n, nil
}
