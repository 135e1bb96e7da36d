package rules

import (
	"strings"

	"github.com/walletwallet/walletwallet"
)

// JoinEvents is how both backends store a webhook's event types: one
// comma-separated column (the set is tiny and only ever read whole).
func JoinEvents(ts []walletwallet.EventType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// SplitEvents reverses JoinEvents.
func SplitEvents(s string) []walletwallet.EventType {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]walletwallet.EventType, len(parts))
	for i, p := range parts {
		out[i] = walletwallet.EventType(p)
	}
	return out
}
