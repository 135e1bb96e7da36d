//go:build !unix

package signing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// staleLock is far longer than generating three RSA keys takes, so an older
// lock file can only be left over from a process that died holding it.
const staleLock = 2 * time.Minute

// lockDir creates dir/.lock exclusively, waiting while another process holds it.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, ".lock")
	deadline := time.Now().Add(2 * staleLock)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock %s is held by another process; remove it if none is running", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
