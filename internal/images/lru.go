package images

import (
	"container/list"
	"sync"
)

// lru is a byte-budgeted least-recently-used cache, safe for concurrent use.
type lru struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // front = most recent
	items  map[string]*list.Element
}

type lruEntry struct {
	key   string
	value any
	size  int
}

func newLRU(budget int) *lru {
	return &lru{budget: budget, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry).value, true
}

// put stores value; an entry larger than the whole budget is not cached.
func (c *lru) put(key string, value any, size int) {
	if size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*lruEntry)
		c.used += size - e.size
		e.value, e.size = value, size
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&lruEntry{key, value, size})
		c.used += size
	}
	for c.used > c.budget {
		el := c.order.Back()
		e := el.Value.(*lruEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.used -= e.size
	}
}
