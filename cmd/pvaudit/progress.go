package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressBar draws replay progress on stderr when it is a terminal.
type progressBar struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w}
}

func (p *progressBar) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done >= total && total > 0 {
		fmt.Fprint(p.w, "\r\033[K")
		return
	}
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	if total <= 0 {
		fmt.Fprintf(p.w, "\rreplaying: %d MB read", done>>20)
		return
	}
	const width = 30
	frac := float64(done) / float64(total)
	n := min(width, int(frac*width))
	fmt.Fprintf(p.w, "\rreplaying [%s%s] %3.0f%% %d/%d MB", strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, done>>20, total>>20)
}

// spinner shows "what… Ns" on stderr while a live call runs, when stderr
// is a terminal; the returned function stops it and clears the line.
func (a *app) spinner(what string) func() {
	if bar := newProgressBar(a.stderr); bar == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(a.stderr, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprintf(a.stderr, "\r%s %ds", what, int(time.Since(start).Seconds()))
			}
		}
	}()
	return func() { close(done); <-finished }
}
