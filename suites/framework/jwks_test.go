package framework

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// TestKeysURLRedirectIsNotFollowed: keys_url answering a redirect is an
// error naming where it pointed; the other URL is never asked.
func TestKeysURLRedirectIsNotFollowed(t *testing.T) {
	var followed atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		followed.Add(1)
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer elsewhere.Close()
	keys := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/jwks", http.StatusFound))
	defer keys.Close()

	p := &profile.Profile{}
	p.Target.KeysURL = keys.URL
	p.Timeouts.Request = profile.D(5 * time.Second)
	_, err := fetchJWKS(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "HTTP 302 redirecting to") || !strings.Contains(err.Error(), elsewhere.URL) {
		t.Errorf("fetchJWKS through a redirect: %v", err)
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed")
	}
}
