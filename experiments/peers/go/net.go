// echo: the netpoller's workload, on Go's net package.  A loopback TCP
// echo server and `clients` goroutines in the same process that each dial
// it and do n round trips of `size` bytes, checking every echo (rtlab's
// echo).  One operation is one round trip.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// echoBuf caps a server connection's read buffer: a round trip needs no
// more than size bytes, but 10000 connections of 1 MiB each would not fit.
const echoBuf = 64 << 10

// echoServe writes back whatever arrives on c until EOF or an error; the
// client sees a failure as a short or changed echo.
func echoServe(c net.Conn, size int) {
	defer c.Close()
	if size > echoBuf {
		size = echoBuf
	}
	buf := make([]byte, size)
	for {
		k, err := c.Read(buf)
		if k > 0 {
			if _, werr := c.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// echoState is what the clients and the acceptor share.
type echoState struct {
	addr   string     // the listener's address
	n      int64      // round trips per client
	size   int        // bytes per message
	failed int32      // atomic: set with first, read by clients every round
	mu     sync.Mutex // guards first and conns
	first  error      // the first failure; later ones may be its consequences
	conns  []net.Conn // client k's connection while open, nil otherwise
}

// fail records err if it is the first failure, and then closes every
// client's connection: a client blocked on an echo that will not come
// (its server was never accepted) wakes up, and the trial ends.
func (s *echoState) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first != nil {
		return
	}
	s.first = err
	atomic.StoreInt32(&s.failed, 1)
	for _, c := range s.conns {
		if c != nil {
			c.Close()
		}
	}
}

// echoClient is client k: it dials s.addr and does s.n round trips, each
// writing a message of its own that changes every round (byte j of round
// r is j + 7r + 131k, as rtlab's wl_net.c fills it, so both peers pay the
// same filling), then reading as many bytes back.  It stops early once a
// client has failed.  Returns the round trips done.
func echoClient(s *echoState, k int64) (int64, error) {
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		return 0, fmt.Errorf("echo: client %d: %v", k, err)
	}
	s.mu.Lock()
	if s.first == nil {
		s.conns[k] = c
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.conns[k] = nil
		s.mu.Unlock()
		c.Close() // a second close after fail's is harmless
	}()
	out, in := make([]byte, s.size), make([]byte, s.size)
	r := int64(0)
	for ; r < s.n && atomic.LoadInt32(&s.failed) == 0; r++ {
		for j := range out {
			out[j] = byte(int64(j) + r*7 + k*131)
		}
		if _, err := c.Write(out); err != nil {
			return r, fmt.Errorf("echo: client %d, round %d: write: %v", k, r, err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			return r, fmt.Errorf("echo: client %d, round %d: read: %v", k, r, err)
		}
		if !bytes.Equal(in, out) {
			j := 0
			for in[j] == out[j] {
				j++
			}
			return r, fmt.Errorf("echo: client %d, round %d: byte %d came back 0x%02x, sent 0x%02x",
				k, r, j, in[j], out[j])
		}
	}
	return r, nil
}

// runEcho times the clients only: from just before they start (their
// dials included) to when the last has closed its connection.  The
// listener's set-up and tear-down are left out.
func runEcho(v map[string]int64) (int64, error) {
	n, clients := v["n"], v["clients"]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("echo: %v", err)
	}
	s := &echoState{addr: ln.Addr().String(), n: n, size: int(v["size"]),
		conns: make([]net.Conn, clients)}
	var served sync.WaitGroup // the accept loop and one per connection
	served.Add(1)
	go func() {
		defer served.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) { // not main's close: out of fds
					s.fail(fmt.Errorf("echo: accept: %v", err))
				}
				return
			}
			served.Add(1)
			go func() {
				defer served.Done()
				echoServe(c, s.size)
			}()
		}
	}()
	done := make([]int64, clients)
	var wg sync.WaitGroup
	wg.Add(int(clients))
	timed.start()
	for k := int64(0); k < clients; k++ {
		go func(k int64) {
			defer wg.Done()
			var err error
			if done[k], err = echoClient(s, k); err != nil {
				s.fail(err)
			}
		}(k)
	}
	wg.Wait()
	timed.end()
	ln.Close()
	served.Wait()
	total := int64(0)
	for _, d := range done {
		total += d
	}
	if s.first != nil {
		return total, s.first
	}
	if total != n*clients {
		return total, fmt.Errorf("echo: %d round trips done, want %d", total, n*clients)
	}
	return total, nil
}
