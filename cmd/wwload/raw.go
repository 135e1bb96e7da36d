package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// rawClient speaks just enough HTTP/1.1 to drive the server: one
// keep-alive connection per concurrent caller, the request written with
// one write, the answer's status line, headers and body (Content-Length or
// chunked) read in full. The load tool runs on the cores it measures, and
// net/http's client spent about 0.3 ms of CPU a request (a tenth of a
// POST's) on things a load generator does not need: that was charged to the
// server's figure. -client std keeps net/http for comparison.
type rawClient struct {
	addr, host string
	mu         sync.Mutex
	idle       []*rawConn
}

type rawConn struct {
	c   net.Conn
	r   *bufio.Reader
	req []byte // reused request buffer
	res []byte // reused body buffer
}

func newRawClient(base string) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("-client raw speaks plain http only (got %q); use -client std", u.Scheme)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawClient{addr: addr, host: u.Host}, nil
}

// do sends one request and returns the status, the values of the answer's
// headers named in want, and a copy of the body.
func (rc *rawClient) do(method, path string, body []byte, hdr []string, want []string) (int, map[string]string, []byte, error) {
	conn, err := rc.get()
	if err != nil {
		return 0, nil, nil, err
	}
	status, got, out, keep, err := conn.roundTrip(rc.host, method, path, body, hdr, want)
	if err != nil || !keep {
		conn.c.Close()
	} else {
		rc.put(conn)
	}
	if err != nil {
		return 0, nil, nil, err
	}
	return status, got, bytes.Clone(out), nil
}

func (rc *rawClient) get() (*rawConn, error) {
	rc.mu.Lock()
	if n := len(rc.idle); n > 0 {
		c := rc.idle[n-1]
		rc.idle = rc.idle[:n-1]
		rc.mu.Unlock()
		return c, nil
	}
	rc.mu.Unlock()
	c, err := net.Dial("tcp", rc.addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (rc *rawClient) put(c *rawConn) {
	rc.mu.Lock()
	rc.idle = append(rc.idle, c)
	rc.mu.Unlock()
}

func (c *rawConn) roundTrip(host, method, path string, body []byte, hdr, want []string) (status int, got map[string]string, out []byte, keep bool, err error) {
	b := c.req[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for i := 0; i+1 < len(hdr); i += 2 {
		b = append(b, hdr[i]...)
		b = append(b, ": "...)
		b = append(b, hdr[i+1]...)
		b = append(b, "\r\n"...)
	}
	if body != nil {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	c.req = b
	if _, err = c.c.Write(b); err != nil {
		return
	}
	line, err := c.line()
	if err != nil {
		return
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, nil, false, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, nil, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err = c.line()
		if err != nil {
			return
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, nil, false, fmt.Errorf("bad header line %q", line)
		}
		name, v := string(k), bytes.TrimSpace(v)
		switch {
		case strings.EqualFold(name, "Content-Length"):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return
			}
		case strings.EqualFold(name, "Transfer-Encoding"):
			chunked = strings.EqualFold(string(v), "chunked")
		case strings.EqualFold(name, "Connection"):
			keep = !strings.EqualFold(string(v), "close")
		}
		for _, w := range want {
			if strings.EqualFold(name, w) {
				if got == nil {
					got = map[string]string{}
				}
				got[w] = string(v)
			}
		}
	}
	out = c.res[:0]
	switch {
	case chunked:
		for {
			line, err = c.line()
			if err != nil {
				return
			}
			size, _, _ := bytes.Cut(line, []byte(";"))
			n, perr := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 32)
			if perr != nil {
				return 0, nil, nil, false, fmt.Errorf("bad chunk size %q", line)
			}
			if n == 0 {
				for { // trailers up to the empty line
					if line, err = c.line(); err != nil || len(line) == 0 {
						break
					}
				}
				break
			}
			if out, err = c.readN(out, int(n)); err != nil {
				return
			}
			if line, err = c.line(); err != nil || len(line) != 0 {
				return 0, nil, nil, false, errors.Join(err, errors.New("chunk not followed by CRLF"))
			}
		}
	case length >= 0:
		out, err = c.readN(out, length)
	case status == 204 || status == 304:
	default:
		out, err = io.ReadAll(c.r) // no length: the body ends with the connection
		keep = false
	}
	c.res = out
	return status, got, out, keep, err
}

// line reads one CRLF-terminated line without its terminator.
func (c *rawConn) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r")), nil
}

func (c *rawConn) readN(out []byte, n int) ([]byte, error) {
	start := len(out)
	out = slices.Grow(out, n)[:start+n]
	_, err := io.ReadFull(c.r, out[start:])
	return out, err
}
