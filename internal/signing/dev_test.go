package signing

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

var devFileNames = []string{DevRootFile, DevRootKeyFile, DevWWDRFile, DevWWDRKeyFile, DevSignerFile, DevSignerKeyFile}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, n := range devFileNames {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		m[n] = b
	}
	return m
}

func TestDevIdentityCreatedOnceThenReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "dev-identity")
	first, created, err := DevIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("first call did not report created")
	}
	if !first.Dev || first.PassTypeID != DevPassTypeID || first.TeamID != DevTeamID {
		t.Errorf("dev=%v ids=%q/%q", first.Dev, first.PassTypeID, first.TeamID)
	}
	if cn := first.Cert.Subject.CommonName; cn != "Pass Type ID: "+DevPassTypeID {
		t.Errorf("signer CN %q", cn)
	}
	if n := first.Key.Public().(interface{ Size() int }).Size() * 8; n != 2048 {
		t.Errorf("signer key has %d bits, want 2048", n)
	}
	if d := first.Cert.NotAfter.Sub(first.Cert.NotBefore); d < 2*365*24*time.Hour || d > 2*366*24*time.Hour {
		t.Errorf("signer validity %v, want 2 years", d)
	}
	if d := first.WWDR.NotAfter.Sub(first.WWDR.NotBefore); d < 10*365*24*time.Hour {
		t.Errorf("intermediate validity %v, want 10 years", d)
	}
	files := readAll(t, dir)

	if runtime.GOOS != "windows" {
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
		}
		for _, n := range []string{DevRootKeyFile, DevWWDRKeyFile, DevSignerKeyFile} {
			st, err := os.Stat(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v, want 0600", n, st.Mode().Perm())
			}
		}
	}

	second, created, err := DevIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("second call reported created")
	}
	if second.Cert.SerialNumber.Cmp(first.Cert.SerialNumber) != 0 || !second.Cert.Equal(first.Cert) || !second.WWDR.Equal(first.WWDR) {
		t.Error("second call returned a different chain")
	}
	if !second.Key.Public().(*rsa.PublicKey).Equal(first.Key.Public()) {
		t.Error("second call returned a different key")
	}
	for n, b := range readAll(t, dir) {
		if !bytes.Equal(b, files[n]) {
			t.Errorf("%s was rewritten", n)
		}
	}
}

func TestDevIdentityRepairs(t *testing.T) {
	tests := []struct {
		name string
		// damage breaks the stored chain; clock is the time of the second call.
		damage      func(t *testing.T, dir string)
		later       time.Duration
		keepsCA     bool // ca.pem and wwdr.pem survive
		keepsSigner bool
	}{
		{name: "intact, a year later", later: 365 * 24 * time.Hour, keepsCA: true, keepsSigner: true},
		{name: "signer expired", later: 3 * 365 * 24 * time.Hour, keepsCA: true},
		{name: "signer key missing", keepsCA: true, damage: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, DevSignerKeyFile)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "signer key from elsewhere", keepsCA: true, damage: func(t *testing.T, dir string) {
			c, err := generateChain("x", "y", time.Now(), testKeysForTest(t))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, DevSignerKeyFile, pkcs8PEM(t, c.rootKey))
		}},
		{name: "root corrupt", damage: func(t *testing.T, dir string) {
			writeFile(t, dir, DevRootFile, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
		}},
		{name: "everything expired", later: 11 * 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			first, _, err := devIdentity(dir, func() time.Time { return start })
			if err != nil {
				t.Fatal(err)
			}
			before := readAll(t, dir)
			if tt.damage != nil {
				tt.damage(t, dir)
			}
			second, created, err := devIdentity(dir, func() time.Time { return start.Add(tt.later) })
			if err != nil {
				t.Fatal(err)
			}
			after := readAll(t, dir)
			if created == tt.keepsSigner {
				t.Errorf("created = %v, want %v", created, !tt.keepsSigner)
			}
			if same := second.Cert.Equal(first.Cert); same != tt.keepsSigner {
				t.Errorf("signer kept = %v, want %v", same, tt.keepsSigner)
			}
			for _, n := range []string{DevRootFile, DevWWDRFile} {
				if same := bytes.Equal(before[n], after[n]); same != tt.keepsCA {
					t.Errorf("%s kept = %v, want %v", n, same, tt.keepsCA)
				}
			}
			if err := second.Cert.CheckSignatureFrom(second.WWDR); err != nil {
				t.Errorf("repaired chain broken: %v", err)
			}
			// A third call at the same time reuses what the second wrote.
			if _, created, err := devIdentity(dir, func() time.Time { return start.Add(tt.later) }); err != nil || created {
				t.Errorf("third call: created=%v err=%v", created, err)
			}
		})
	}
}

func TestDevIdentityConcurrentStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev-identity")
	const n = 4
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids []*Identity
		nc  int
	)
	for range n {
		wg.Go(func() {
			id, created, err := DevIdentity(dir)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if created {
				nc++
			}
			ids = append(ids, id)
		})
	}
	wg.Wait()
	if nc != 1 {
		t.Errorf("%d callers created the chain, want 1", nc)
	}
	for _, id := range ids[1:] {
		if !id.Cert.Equal(ids[0].Cert) {
			t.Error("callers got different signers")
		}
	}
	again, _, err := DevIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(ids[0].Cert) {
		t.Error("files on disk differ from what the callers got")
	}
}

func TestDevIdentityTightensDirMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "dev-identity")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := DevIdentity(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
}

// devHelperEnv makes the test binary act as a second process calling DevIdentity.
const devHelperEnv = "WW_SIGNING_DEV_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(devHelperEnv); dir != "" {
		id, created, err := DevIdentity(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s %v\n", id.Cert.SerialNumber, created)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestDevIdentityTwoProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev-identity")
	const n = 3
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0])
		cmds[i].Env = append(os.Environ(), devHelperEnv+"="+dir)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	serials := map[string]bool{}
	created := 0
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
		var serial string
		var made bool
		if _, err := fmt.Sscan(outs[i].String(), &serial, &made); err != nil {
			t.Fatalf("process %d output %q: %v", i, outs[i].String(), err)
		}
		serials[serial] = true
		if made {
			created++
		}
	}
	if len(serials) != 1 || created != 1 {
		t.Errorf("%d processes saw %d different signers and %d created the chain; want 1 signer, 1 creator", n, len(serials), created)
	}
}
