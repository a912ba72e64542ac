package dashboard

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type walletData struct {
	// Conn is the mode's connected wallet, nil when none is.
	Conn *gateway.WalletConnection
	// Builtin: no wallet is connected and the mode has the built-in test
	// wallet (test mode).
	Builtin bool
	// Failing: the last error is newer than the last invoice (the API's
	// status "error").
	Failing bool
	Kinds   []walletKind
	// Test is the result of "Test connection" when one just ran.
	Test *walletTestResult
}

type walletTestResult struct {
	OK      bool
	Network string
	Latency time.Duration
	Error   string
}

// walletState reads the scope's wallet as the API shows it: the connected
// one, else the built-in test wallet in test mode, else none.
func (h *Handler) walletState(r *http.Request, v *Viewer) (walletData, error) {
	d := walletData{Kinds: walletKinds}
	conn, err := h.svc.GetWalletConnection(r.Context(), v.Scope())
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		d.Builtin = v.Test()
	case err != nil:
		return d, err
	default:
		d.Conn = conn
		d.Failing = conn.LastError != "" && conn.LastErrorAt.After(conn.LastInvoiceAt)
	}
	return d, nil
}

// walletShow is the mode's wallet and its health, and the types that can
// be connected.
func (h *Handler) walletShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	d, err := h.walletState(r, v)
	if err != nil {
		return err
	}
	return h.render(w, r, v, "wallet", d)
}

// walletTest re-runs the connection test of the mode's wallet (the
// built-in one included) and shows the result on the wallet page. A failed
// test is a result, not an error page: it is what the merchant came for.
func (h *Handler) walletTest(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	network, latency, terr := h.svc.TestWalletConnection(r.Context(), v.Scope())
	res := &walletTestResult{OK: terr == nil, Network: network, Latency: latency}
	if terr != nil {
		var e *gateway.Error
		if !errors.As(terr, &e) {
			return terr
		}
		res.Error = e.Message
	}
	d, err := h.walletState(r, v)
	if err != nil {
		return err
	}
	d.Test = res
	status := http.StatusOK
	if !res.OK {
		status = http.StatusUnprocessableEntity
	}
	return h.renderStatus(w, r, v, status, "wallet", d)
}

type walletConnectData struct {
	Kind *walletKind
	Form *form.Form
	// Replacing is the type of the wallet a connection would replace.
	Replacing string
}

// walletConnectShow is one type's connection form (after a fresh password:
// the form takes credentials). Without a known type it goes back to the
// wallet page, which lists them.
func (h *Handler) walletConnectShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	k := walletKindOf(r.URL.Query().Get("type"))
	if k == nil {
		http.Redirect(w, r, "/dashboard/wallet", http.StatusSeeOther)
		return nil
	}
	d := walletConnectData{Kind: k, Form: form.New()}
	if conn, err := h.svc.GetWalletConnection(r.Context(), v.Scope()); err == nil {
		d.Replacing = conn.Type
	} else if !errors.Is(err, gateway.ErrNotFound) {
		return err
	}
	return h.render(w, r, v, "wallet_connect", d)
}

// walletConnect connects (or replaces) the mode's wallet through the same
// ConnectWallet as PUT /wallet: the domain checks the credentials are
// receive-only and makes and looks up a small invoice. The built-in test
// wallet is "connected" by forgetting the connected one. Audit-logged.
func (h *Handler) walletConnect(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	typ := f.Get("type")
	if k := walletKindOf(typ); k != nil && k.Builtin {
		return h.walletUseBuiltin(w, r, v)
	}
	p := gateway.WalletParams{Type: typ, ConnectionString: f.Get("connection_string"), RESTURL: f.Get("rest_url"),
		URL: f.Get("url"), Macaroon: f.Get("macaroon"), TLSCert: f.Get("tls_cert"), Rune: f.Get("rune"),
		Password: f.Get("password"), APIKey: f.Get("api_key"), Address: f.Get("address")}
	conn, err := h.svc.ConnectWallet(r.Context(), v.Scope(), p)
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			var e *gateway.Error
			if !errors.As(err, &e) || e.Code != gateway.CodeWalletUnavailable {
				return err
			}
			fm = &form.Form{Values: f, Message: e.Message, Errors: map[string]string{}}
		}
		k := walletKindOf(typ)
		if k == nil {
			// A type the page does not list: the domain's answer on the
			// wallet page, not a form of guessed fields.
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "wallet_connect", walletConnectData{Kind: k, Form: fm})
	}
	h.audit(r, v, gateway.AuditWalletChanged, "connected "+conn.Type+" ("+string(conn.Mode)+" mode)")
	http.Redirect(w, r, "/dashboard/wallet?notice=wallet_connected", http.StatusSeeOther)
	return nil
}

// walletUseBuiltin goes back to the built-in test wallet (test mode).
func (h *Handler) walletUseBuiltin(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if !v.Test() {
		return &gateway.Error{Code: gateway.CodeValidation, Message: "Live mode has no built-in test wallet: connect a wallet of your own.",
			Fields: []gateway.FieldError{{Field: "type", Message: "test is for test mode only"}}}
	}
	return h.walletDisconnect(w, r, v)
}

// walletDisconnectConfirm asks before the mode's wallet is forgotten.
func (h *Handler) walletDisconnectConfirm(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	d, err := h.walletState(r, v)
	if err != nil {
		return err
	}
	if d.Conn == nil {
		http.Redirect(w, r, "/dashboard/wallet", http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, v, "wallet_disconnect", d)
}

// walletDisconnect forgets the mode's wallet (its sealed credentials are
// deleted); test mode falls back to the built-in test wallet. Audit-logged.
func (h *Handler) walletDisconnect(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	conn, err := h.svc.GetWalletConnection(r.Context(), v.Scope())
	if errors.Is(err, gateway.ErrNotFound) {
		http.Redirect(w, r, "/dashboard/wallet", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.svc.DisconnectWallet(r.Context(), v.Scope()); err != nil {
		return err
	}
	h.audit(r, v, gateway.AuditWalletChanged, "disconnected "+conn.Type+" ("+string(v.Mode)+" mode)")
	http.Redirect(w, r, "/dashboard/wallet?notice=wallet_disconnected", http.StatusSeeOther)
	return nil
}

// audit records a sensitive action that already happened. A failure to
// record is logged: the action cannot be undone for want of its line.
func (h *Handler) audit(r *http.Request, v *Viewer, action, target string) {
	if err := h.acc.Record(r.Context(), v.Actor(), v.MerchantID(), action, target); err != nil {
		h.log.ErrorContext(r.Context(), "audit record failed", "action", action, "err", err)
	}
}

// walletFieldView is one input of a connection form with what to show in
// it: a secret is never filled back in.
type walletFieldView struct {
	walletField
	Value, Error string
}

// Fields are the form's inputs with their values and the domain's errors.
func (d walletConnectData) Fields() []walletFieldView {
	var out []walletFieldView
	for _, f := range d.Kind.Fields {
		fv := walletFieldView{walletField: f, Error: d.Form.Error(f.Name)}
		if f.Input == "url" || f.Input == "email" || f.Input == "text" {
			fv.Value = d.Form.Value(f.Name)
		}
		out = append(out, fv)
	}
	return out
}

// OtherErrors are the domain's field errors that no input of the form
// shows (the "type" or "wallet" field), so none is lost.
func (d walletConnectData) OtherErrors() []string {
	var out []string
	for name, msg := range d.Form.Errors {
		shown := false
		for _, f := range d.Kind.Fields {
			shown = shown || f.Name == name
		}
		if !shown {
			out = append(out, name+" "+msg)
		}
	}
	slices.Sort(out)
	return out
}
