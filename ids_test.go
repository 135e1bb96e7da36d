package walletwallet

import (
	"strings"
	"testing"
)

func TestIdentifierShapes(t *testing.T) {
	const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
	tests := []struct {
		name  string
		check func(string) bool
		in    string
		want  bool
	}{
		{"serial: issued UUID", ValidSerial, uuid, true},
		{"serial: upper case", ValidSerial, strings.ToUpper(uuid), true},
		{"serial: empty", ValidSerial, "", false},
		{"serial: trailing NUL", ValidSerial, uuid[:35] + "\x00", false},
		{"serial: dash moved", ValidSerial, "0f8fad5bd-9cb-469f-a165-70867728950e", false},
		{"serial: not hex", ValidSerial, "0f8fad5b-d9cb-469f-a165-70867728950g", false},
		{"serial: one longer", ValidSerial, uuid + "0", false},
		{"serial: invalid UTF-8", ValidSerial, "\xff\xfe" + uuid[2:], false},
		{"pass type: reverse DNS", ValidPassTypeID, "pass.com.example.loyalty-card_2", true},
		{"pass type: empty", ValidPassTypeID, "", false},
		{"pass type: at the bound", ValidPassTypeID, strings.Repeat("p", MaxPassTypeID), true},
		{"pass type: over the bound", ValidPassTypeID, strings.Repeat("p", MaxPassTypeID+1), false},
		{"pass type: NUL", ValidPassTypeID, "pass.a\x00", false},
		{"pass type: slash", ValidPassTypeID, "pass/a", false},
		{"pass type: non-ASCII", ValidPassTypeID, "pass.é", false},
		{"device: Wallet's hex", ValidDeviceID, "4b0c57a8e3d1e8f0a2b4c6d8e0f2a4b6", true},
		{"device: at the bound", ValidDeviceID, strings.Repeat("d", MaxDeviceID), true},
		{"device: over the bound", ValidDeviceID, strings.Repeat("d", MaxDeviceID+1), false},
		{"device: space", ValidDeviceID, "a b", false},
		{"device: overlong UTF-8", ValidDeviceID, "\xc0\xae\xc0\xae", false},
		{"push token: APNs hex", ValidPushToken, strings.Repeat("ab", 32), true},
		{"push token: other app's alphabet", ValidPushToken, "fcm:Ab_c-d.e", true},
		{"push token: slash", ValidPushToken, "ab/../cd", false},
		{"push token: over the bound", ValidPushToken, strings.Repeat("a", MaxPushToken+1), false},
		{"storable: text", func(s string) bool { return Storable(s) }, "héllo", true},
		{"storable: NUL", func(s string) bool { return Storable(s) }, "a\x00", false},
		{"storable: lone surrogate", func(s string) bool { return Storable(s) }, "\xed\xa0\x80", false},
		{"storable: overlong", func(s string) bool { return Storable(s) }, "\xc0\xae", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.check(tc.in); got != tc.want {
				t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
