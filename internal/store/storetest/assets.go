package storetest

import (
	"context"
	"testing"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("assets",
		testCase{"put, get, put again", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			key := hashOf([]byte("src")) + "/logo@2x"
			_, err := s.Asset(ctx, key)
			wantCode(t, err, walletwallet.ENOTFOUND)
			mustNil(t, s.PutAsset(ctx, &walletwallet.Asset{Key: key, Data: []byte("png")}))
			mustNil(t, s.PutAsset(ctx, &walletwallet.Asset{Key: key, Data: []byte("png again")}))
			got, err := s.Asset(ctx, key)
			mustNil(t, err)
			if got.Key != key {
				t.Fatalf("Key = %q, want %q", got.Key, key)
			}
			wantBytes(t, "Data", got.Data, []byte("png"))
		}},
	)
	register("health",
		testCase{"ping", func(t *testing.T, s walletwallet.Store) {
			mustNil(t, s.Ping(context.Background()))
		}},
	)
}
