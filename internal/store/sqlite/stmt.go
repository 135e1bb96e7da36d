package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// The driver compiles a statement on every call that passes SQL text; in a
// profile of POST that was about 6 % of the server's CPU. The store's SQL is a
// fixed set of strings, so each is prepared once per pool and reused: on the
// single writer connection, and lazily on each reader connection.

// stmts caches prepared statements of one pool by their SQL text.
type stmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmts(db *sql.DB) *stmts { return &stmts{db: db, m: map[string]*sql.Stmt{}} }

// cached returns the statement if it is already prepared.
func (s *stmts) cached(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[query]
}

func (s *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := s.cached(query); st != nil {
		return st, nil
	}
	// Not under the lock: preparing waits for a connection, and a
	// transaction holding the writer's only one may need the lock to finish.
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.m[query]; ok {
		st.Close()
		return prev, nil
	}
	s.m[query] = st
	return st, nil
}

func (s *stmts) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.m {
		st.Close()
	}
	s.m = map[string]*sql.Stmt{}
}

// reader runs queries on the reader pool with cached statements.
type reader struct{ *stmts }

func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := r.get(ctx, query)
	if err != nil {
		// sql.Row carries no error of its own making; the uncached path
		// reports the same preparation error through Scan.
		return r.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (r reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// wtx is a write transaction whose statements come from the writer's cache.
// It ignores the callers' cancellation: several callers share the
// transaction, and an interrupted SQLite statement rolls back all of it.
// Preparing on the writer pool needs its only connection, which the
// transaction holds: so a statement not yet cached runs uncached, is noted in
// missed, and is prepared by write once the transaction has ended.
type wtx struct {
	tx     *sql.Tx
	s      *stmts
	missed []string
	// recorded is set when a statement wrote events: their deliveries
	// (made by the events trigger) should wake the job runner at commit.
	recorded bool
}

// exec runs a statement that needs no cache (savepoints).
func (t *wtx) exec(ctx context.Context, query string) error {
	_, err := t.tx.ExecContext(ctx, query)
	return err
}

func (t *wtx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st := t.s.cached(query)
	if st == nil {
		t.missed = append(t.missed, query)
		return t.tx.PrepareContext(ctx, query)
	}
	// The transaction's connection is the writer's only one, on which the
	// statement was prepared, so this reuses the compiled statement.
	return t.tx.StmtContext(ctx, st), nil
}

func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
