package httpapi

import (
	"errors"
	"net/http"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

func toWallet(w *gateway.WalletConnection) apitype.Wallet {
	status := "active"
	if w.LastError != "" && w.LastErrorAt.After(w.LastInvoiceAt) {
		status = "error"
	}
	return apitype.Wallet{
		ID: &w.ID, Object: "wallet", Livemode: w.Mode.Live(), Type: w.Type, Network: w.Network, Status: status,
		Health: apitype.WalletHealth{LastInvoiceAt: optTime(w.LastInvoiceAt), StreamAlive: w.StreamAlive,
			LastError: optString(w.LastError), LastErrorAt: optTime(w.LastErrorAt)},
		CreatedAt: optTime(w.CreatedAt), UpdatedAt: optTime(w.UpdatedAt),
	}
}

// builtinTestWallet is test mode's wallet when none is connected.
func builtinTestWallet() apitype.Wallet {
	return apitype.Wallet{Object: "wallet", Type: "test", Network: "regtest", Status: "active"}
}

// currentWallet is the scope's wallet object, or ErrNotFound in live mode
// without one.
func (s *Server) currentWallet(c *call) (*apitype.Wallet, error) {
	w, err := s.svc.GetWalletConnection(c.r.Context(), c.scope)
	switch {
	case errors.Is(err, gateway.ErrNotFound) && !c.scope.Mode.Live():
		out := builtinTestWallet()
		return &out, nil
	case errors.Is(err, gateway.ErrNotFound):
		return nil, gateway.Errorf(gateway.CodeNotFound, "No wallet is connected for live mode; connect one with PUT /api/v1/wallet.")
	case err != nil:
		return nil, err
	}
	out := toWallet(w)
	return &out, nil
}

func (s *Server) getWallet(c *call) (int, any, error) {
	w, err := s.currentWallet(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w, nil
}

func (s *Server) listWallets(c *call) (int, any, error) {
	out := apitype.List[apitype.Wallet]{Object: "list", Data: []apitype.Wallet{}}
	w, err := s.currentWallet(c)
	switch {
	case gateway.ErrorCode(err) == gateway.CodeNotFound:
	case err != nil:
		return 0, nil, err
	default:
		out.Data = append(out.Data, *w)
	}
	out.Meta = apitype.ListMeta{CurrentPage: 1, PerPage: 25, TotalCount: len(out.Data), TotalPages: len(out.Data)}
	return http.StatusOK, out, nil
}

func (s *Server) putWallet(c *call) (int, any, error) {
	var in apitype.WalletWrite
	if err := decode(c, &in); err != nil {
		return 0, nil, err
	}
	if in.Wallet == nil {
		return 0, nil, invalid("wallet", `is required: wrap the fields as {"wallet": {...}}`)
	}
	p := gateway.WalletParams{Type: in.Wallet.Type}
	for _, f := range []struct {
		src *string
		dst *string
	}{{in.Wallet.ConnectionString, &p.ConnectionString}, {in.Wallet.RESTURL, &p.RESTURL}, {in.Wallet.URL, &p.URL},
		{in.Wallet.Macaroon, &p.Macaroon}, {in.Wallet.TLSCert, &p.TLSCert}, {in.Wallet.Rune, &p.Rune},
		{in.Wallet.Password, &p.Password}, {in.Wallet.APIKey, &p.APIKey}, {in.Wallet.Address, &p.Address}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	w, err := s.svc.ConnectWallet(c.r.Context(), c.scope, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toWallet(w), nil
}

func (s *Server) deleteWallet(c *call) (int, any, error) {
	if err := s.svc.DisconnectWallet(c.r.Context(), c.scope); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) testWallet(c *call) (int, any, error) {
	network, latency, err := s.svc.TestWalletConnection(c.r.Context(), c.scope)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, apitype.WalletTest{Object: "wallet_test", OK: true, Network: network, LatencyMS: latency.Milliseconds()}, nil
}
