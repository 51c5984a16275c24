package framework

import (
	"context"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/target"
)

func TestZZPhases(t *testing.T) {
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		r, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		p, err := ProvisionEmbedded(ctx, r.URL, r.Server.AdminToken(), 0)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		_, err = forge.NewAttackerKeys()
		t3 := time.Now()
		st, err := FireCatalogue(ctx, p, "")
		t4 := time.Now()
		_ = r.Shutdown(ctx)
		t.Logf("start %v provision %v attackerkeys %v firecat(total) %v fire %v shutdown %v", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), st.Duration, time.Since(t4))
	}
}
