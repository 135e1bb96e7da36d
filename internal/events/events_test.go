package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func TestBody(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 250_000_000, time.UTC)
	ev := func(typ walletwallet.EventType) walletwallet.Event {
		return walletwallet.Event{ID: 42, Type: typ, AccountID: 7, PassTypeID: "pass.com.example", Serial: "0f8fad5b-d9cb-469f-a165-70867728950e", DeviceID: "dev1", CreatedAt: at}
	}
	tests := []struct {
		name     string
		e        walletwallet.Event
		template string
		want     string
	}{
		{"created, no template", ev(walletwallet.EventPassCreated), "",
			`{"id":"evt_42","type":"pass.created","createdAt":1796126400250,"data":{"serialNumber":"0f8fad5b-d9cb-469f-a165-70867728950e","passTypeIdentifier":"pass.com.example","templateId":null}}`},
		{"updated from a template", ev(walletwallet.EventPassUpdated), "tpl_1",
			`{"id":"evt_42","type":"pass.updated","createdAt":1796126400250,"data":{"serialNumber":"0f8fad5b-d9cb-469f-a165-70867728950e","passTypeIdentifier":"pass.com.example","templateId":"tpl_1"}}`},
		{"installed names the device", ev(walletwallet.EventPassInstalled), "",
			`{"id":"evt_42","type":"pass.installed","createdAt":1796126400250,"data":{"serialNumber":"0f8fad5b-d9cb-469f-a165-70867728950e","passTypeIdentifier":"pass.com.example","templateId":null,"deviceLibraryIdentifier":"dev1"}}`},
		{"uninstalled names the device", ev(walletwallet.EventPassUninstalled), "",
			`{"id":"evt_42","type":"pass.uninstalled","createdAt":1796126400250,"data":{"serialNumber":"0f8fad5b-d9cb-469f-a165-70867728950e","passTypeIdentifier":"pass.com.example","templateId":null,"deviceLibraryIdentifier":"dev1"}}`},
		{"voided names no device", ev(walletwallet.EventPassVoided), "",
			`{"id":"evt_42","type":"pass.voided","createdAt":1796126400250,"data":{"serialNumber":"0f8fad5b-d9cb-469f-a165-70867728950e","passTypeIdentifier":"pass.com.example","templateId":null}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Body(tc.e, tc.template)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("body\n%s\nwant\n%s", b, tc.want)
			}
			if !json.Valid(b) {
				t.Fatal("not JSON")
			}
		})
	}
}

// A receiver verifies the signature the way the contract describes it.
func TestSignVerifiesAsTheContractSays(t *testing.T) {
	secret := []byte("whsec_0123456789abcdef0123456789abcdef")
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1796126400, 999_000_000)
	got := Sign(secret, at, body)
	ts, v1, ok := strings.Cut(got, ",")
	if !ok || ts != "t=1796126400" || !strings.HasPrefix(v1, "v1=") {
		t.Fatalf("signature %q, want t=1796126400,v1=…", got)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("1796126400." + string(body)))
	if want := hex.EncodeToString(mac.Sum(nil)); v1[3:] != want {
		t.Fatalf("v1 %s, want %s", v1[3:], want)
	}
	if Sign([]byte("other"), at, body) == got || Sign(secret, at, []byte(`{"id":"evt_2"}`)) == got {
		t.Fatal("the signature does not depend on the secret and the body")
	}
}

func TestRetrySchedule(t *testing.T) {
	for range 200 {
		if d := RetryAfter(1); d >= time.Minute || d < RetryFirst/2 {
			t.Fatalf("first retry after %v: the contract wants one within 60 s", d)
		}
		if d := RetryAfter(40); d > RetryCeiling || d < RetryCeiling/2 {
			t.Fatalf("late retry after %v, want within [%v, %v]", d, RetryCeiling/2, RetryCeiling)
		}
	}
	// Waits grow, so attempts spread over the day rather than burning out early.
	var total time.Duration
	attempts := 0
	for total < RetryWindow {
		attempts++
		total += RetryAfter(attempts)
	}
	if attempts < 20 || attempts > 60 {
		t.Fatalf("%d attempts fill the 24 h window", attempts)
	}
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if GiveUp(created, created.Add(RetryWindow-time.Second)) || !GiveUp(created, created.Add(RetryWindow)) {
		t.Fatal("GiveUp must wait the whole window")
	}
}
