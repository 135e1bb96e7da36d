// Command apnsdouble runs the APNs test double as its own process, for tests
// that kill and restart the server: it prints its URL, writes its CA, logs
// every push token as it arrives, and answers 200 unless holding.
//
//	apnsdouble [-addr 127.0.0.1:0] [-ca FILE] [-url FILE] [-log FILE] [-hold FILE]
//
// Stdout gets two lines: "url <URL>" and "ca <FILE>". While the -hold file
// exists, answers are held back (requests are still logged).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "apnsdouble:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	caPath := flag.String("ca", "", "write the server's CA PEM here (default: a temporary file)")
	urlPath := flag.String("url", "", "also write the URL to this file")
	logPath := flag.String("log", "", "append each received push token as a line to this file")
	var hold string
	flag.StringVar(&hold, "hold", "", "hold answers while this file exists")
	flag.StringVar(&hold, "hold-file", "", "same as -hold")
	flag.Parse()

	var logMu sync.Mutex
	var logW *bufio.Writer
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logW = bufio.NewWriter(f)
	}
	onRequest := func(r apnstest.Request) {
		if logW == nil {
			return
		}
		// Flushed per line: the reader may be waiting for this very token.
		logMu.Lock()
		defer logMu.Unlock()
		logW.WriteString(r.Token + "\n")
		logW.Flush()
	}

	s := apnstest.NewServer(apnstest.WithAddr(*addr), apnstest.WithOnRequest(onRequest))
	defer s.Close()
	holding := hold != "" && exists(hold)
	if holding {
		s.Hold()
	}

	if *caPath == "" {
		dir, err := os.MkdirTemp("", "apnsdouble-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*caPath = filepath.Join(dir, "ca.pem")
	}
	if err := os.WriteFile(*caPath, s.CAPEM, 0o644); err != nil {
		return err
	}
	if *urlPath != "" {
		if err := writeAtomic(*urlPath, []byte(s.URL+"\n")); err != nil {
			return err
		}
	}
	fmt.Printf("url %s\nca %s\n", s.URL, *caPath)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-sig:
			return nil
		case <-tick.C:
		}
		if hold == "" {
			continue
		}
		now := exists(hold)
		switch {
		case now && !holding:
			s.Hold()
		case !now && holding:
			s.Release()
		}
		holding = now
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// writeAtomic lets a reader polling for the file never see it half written.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
