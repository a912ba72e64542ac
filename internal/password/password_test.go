package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Hasher{Params: Params{MemoryKiB: 1024, Time: 1, Threads: 1}}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with its parameters", enc)
	}
	if strings.Contains(enc, "horse") {
		t.Fatal("the hash contains the password")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		ok, err := Hasher{}.Verify(enc, pw) // the stored parameters win over the verifier's
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	again, _ := h.Hash("correct horse battery staple")
	if again == enc {
		t.Error("two hashes of one password are equal: no salt")
	}
}

// TestKnownVector checks Verify against a hash made by the reference
// implementation (argon2 CLI: echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32).
func TestKnownVector(t *testing.T) {
	const enc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, err := Hasher{}.Verify(enc, "password")
	if err != nil || !ok {
		t.Fatalf("Verify(reference vector) = %v, %v", ok, err)
	}
}

func TestMalformed(t *testing.T) {
	for _, enc := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA", "$argon2id$v=16$m=1024,t=1,p=1$c2FsdA$aGFzaA"} {
		if ok, err := (Hasher{}).Verify(enc, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", enc, ok, err)
		}
	}
}
