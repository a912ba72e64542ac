package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestCreateDurableAcrossCrash: 16 clients create checkout sessions with
// Idempotency-Keys as fast as the gateway answers; the gateway is SIGKILLed
// in the middle of it. After a restart, every session that was answered 201
// exists, and its key replays it — an acknowledged create is never lost
// (group commit answers nobody before the commit is on disk).
func TestCreateDurableAcrossCrash(t *testing.T) {
	dir := t.TempDir()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "Store", "--email", "owner@store.com",
		"--rate-limit-per-minute", "100000000", "--json")
	var m struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sk := m.Keys["sk_test"]
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	body, _ := json.Marshal(seedBody)
	create := func(client *http.Client, base, key string) (int, string, error) {
		req, _ := http.NewRequest("POST", base+"/api/v1/checkout_sessions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+sk)
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		var s struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(res.Body).Decode(&s)
		return res.StatusCode, s.ID, err
	}

	type ack struct{ key, id string }
	var (
		mu   sync.Mutex
		acks []ack
		wg   sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%d-%d", w, i)
				status, id, err := create(client, g.url, key)
				if err != nil {
					return // the gateway is gone
				}
				if status != http.StatusCreated {
					t.Errorf("create %s: %d", key, status)
					return
				}
				mu.Lock()
				acks = append(acks, ack{key, id})
				mu.Unlock()
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.cmd.Process.Kill() // mid-load: requests are in flight and batches open
	wg.Wait()
	g.cmd.Wait()
	if len(acks) < 300 {
		t.Fatalf("only %d creates answered before the deadline", len(acks))
	}

	g = start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	for _, a := range acks {
		if status, s := call(t, "GET", api+"/checkout_sessions/"+a.id, sk, nil); status != 200 || s["id"] != a.id {
			t.Fatalf("acknowledged session %s (key %s) after the crash: %d %v", a.id, a.key, status, s)
		}
	}
	for _, a := range acks[len(acks)-50:] { // the last ones were closest to the crash
		status, id, err := create(http.DefaultClient, g.url, a.key)
		if err != nil || status != http.StatusOK || id != a.id {
			t.Fatalf("replay of key %s after the crash: %d %s %v, want 200 %s", a.key, status, id, err, a.id)
		}
	}
	t.Logf("%d acknowledged creates, all durable across SIGKILL", len(acks))
}
