package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps one prepared statement per query text for a pool.
// database/sql re-prepares a cached statement on whichever connection a
// transaction holds, once per connection. Queries built on the fly (lists
// with optional filters, IN lists) share the cache up to its bound; past it
// they are simply parsed each time.
type stmtCache struct {
	pool *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
}

const maxCachedStmts = 512

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the cached statement for query, or nil (run it unprepared)
// when it is not cached yet. It never prepares: inside a transaction the
// pool's connection may be the one the transaction holds (SQLite's writer
// pool has one), so a miss is remembered and prepared once the transaction
// has let go of it.
func (c *stmtCache) get(query string) (st *sql.Stmt, miss bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	st = c.m[query]
	n := len(c.m)
	c.mu.RUnlock()
	return st, st == nil && n < maxCachedStmts && cacheable(query)
}

// prepare adds query to the cache; called outside any transaction.
func (c *stmtCache) prepare(ctx context.Context, query string) {
	c.mu.RLock()
	have := c.m[query] != nil
	c.mu.RUnlock()
	if have {
		return
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return // the unprepared path reports errors
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[query] != nil || len(c.m) >= maxCachedStmts {
		st.Close()
		return
	}
	c.m[query] = st
}

func cacheable(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return true
	}
	return false
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}
