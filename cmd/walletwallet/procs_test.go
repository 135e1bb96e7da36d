package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/signing"
)

func TestProcessorPlan(t *testing.T) {
	for _, tc := range []struct {
		env            string
		current        int
		holds          bool
		procs, signing int
	}{
		{"", 2, true, 3, 2},
		{"", 1, true, 2, 1},
		{"", 8, true, 9, 8},
		{"2", 2, true, 2, 0}, // the operator's choice stands, signatures unbounded
		{"4", 4, true, 4, 0},
		{"", 2, false, 2, 0}, // a signer in C gives its processor up: nothing changes
		{"3", 2, false, 2, 0},
	} {
		procs, slots := processorPlan(tc.env, tc.current, tc.holds)
		if procs != tc.procs || slots != tc.signing {
			t.Errorf("processorPlan(%q, %d, %v) = %d, %d; want %d, %d", tc.env, tc.current, tc.holds, procs, slots, tc.procs, tc.signing)
		}
	}
}

// TestServeLogsProcessors: serve applies the plan before anything else and
// says so. Its data folder cannot be made (a file is in the way), so serve
// stops right after.
func TestServeLogsProcessors(t *testing.T) {
	for _, tc := range []struct {
		name, gomaxprocs string
		spare            bool
	}{
		{"default", "", signing.SignerHoldsProcessor()},
		{"GOMAXPROCS set", "3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "serve")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GOMAXPROCS=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			blocker := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(blocker, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "WW_ADDR=127.0.0.1:0", "WW_DATA_DIR="+filepath.Join(blocker, "data"), "WW_LOG_LEVEL=info")
			if tc.gomaxprocs != "" {
				cmd.Env = append(cmd.Env, "GOMAXPROCS="+tc.gomaxprocs)
			}
			out, _ := cmd.CombinedOutput()
			var line struct {
				Msg          string `json:"msg"`
				Cores        *int   `json:"cores"`
				GoProcs      *int   `json:"go_procs"`
				SigningSlots *int   `json:"signing_slots"`
			}
			found := false
			for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
				if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "processors" {
					found = true
					break
				}
			}
			if !found || line.Cores == nil || line.GoProcs == nil || line.SigningSlots == nil {
				t.Fatalf("no processors line with cores, go_procs and signing_slots in:\n%s", out)
			}
			cores, procs, slots := *line.Cores, *line.GoProcs, *line.SigningSlots
			if tc.spare && (procs != cores+1 || slots != cores) {
				t.Errorf("cores=%d go_procs=%d signing_slots=%d; want one spare processor and signatures bounded to the cores", cores, procs, slots)
			}
			if !tc.spare && (procs != cores || slots != 0) {
				t.Errorf("cores=%d go_procs=%d signing_slots=%d; want the processors left as they are and signatures unbounded", cores, procs, slots)
			}
			if tc.gomaxprocs != "" && cores != 3 {
				t.Errorf("cores=%d; want GOMAXPROCS=3 from the environment", cores)
			}
		})
	}
}
