package dashboard

import (
	"net/http"
	"slices"

	"github.com/satsrail/satsrail/internal/gateway"
)

type keysData struct {
	Keys []keyRow
}

type keyRow struct {
	Type gateway.KeyType
	// Shown is the whole key for a publishable key, else its masked form.
	Shown     string
	Full      bool // Shown is the whole key
	Secret    bool
	CreatedAt any
	Key       gateway.APIKey
}

// keysShow lists the merchant's keys: publishable keys in full (they are
// public), secret keys masked to their last four characters — a secret key
// is shown only when it is made (sign-up) or rolled.
func (h *Handler) keysShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	keys, err := h.acc.APIKeys(r.Context(), v.MerchantID())
	if err != nil {
		return err
	}
	var d keysData
	for _, k := range keys {
		row := keyRow{Type: k.Type(), Secret: k.Kind == gateway.KeySecret, Key: k}
		if !row.Secret {
			row.Shown = h.acc.PublishableKey(k)
		}
		row.Full = row.Shown != ""
		if row.Shown == "" {
			row.Shown = string(k.Type()) + "_…" + k.Last4
		}
		d.Keys = append(d.Keys, row)
	}
	return h.render(w, r, v, "keys", d)
}

type keyRollData struct {
	Type   gateway.KeyType
	Secret string // set once rolled
}

// keyType reads the key_type parameter, one of the four types.
func keyType(s string) (gateway.KeyType, error) {
	kt := gateway.KeyType(s)
	if !slices.Contains(gateway.KeyTypes, kt) {
		return "", &gateway.Error{Code: gateway.CodeValidation, Message: "Unknown key type: choose one of pk_live, sk_live, pk_test, sk_test.",
			Fields: []gateway.FieldError{{Field: "key_type", Message: "must be one of pk_live, sk_live, pk_test, sk_test"}}}
	}
	return kt, nil
}

// keyRollConfirm asks to confirm rolling a key (after a fresh password).
func (h *Handler) keyRollConfirm(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	kt, err := keyType(r.URL.Query().Get("key_type"))
	if err != nil {
		return err
	}
	return h.render(w, r, v, "key_roll", keyRollData{Type: kt})
}

// keyRoll replaces the key and shows the new one once; the old one stops
// working at once.
func (h *Handler) keyRoll(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	kt, err := keyType(r.PostForm.Get("key_type"))
	if err != nil {
		return err
	}
	secret, err := h.acc.RollKey(r.Context(), v.Actor(), v.MerchantID(), kt)
	if err != nil {
		return err
	}
	return h.render(w, r, v, "key_roll", keyRollData{Type: kt, Secret: secret})
}
