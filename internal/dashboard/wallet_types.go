package dashboard

import "slices"

// walletKind is one wallet type as the Wallet page offers it: the fields
// of its form (named as the API's wallet params, so the domain's field
// errors land at them) and how a merchant gets a receive-only credential.
// The page only lists types; whether a type is supported is the domain's
// answer (an unregistered type is its 422 on the "type" field).
type walletKind struct {
	Type  string
	Name  string
	Intro string
	// HowTo is the steps to a receive-only credential, one per item.
	HowTo []string
	// Fields are the form's inputs; Alt says a connection string may
	// replace the other fields.
	Fields []walletField
	Alt    bool
	// Custodial types hold the merchant's money: the page warns.
	Custodial bool
	// Builtin is the built-in test wallet: nothing to connect, test mode
	// only.
	Builtin bool
}

// walletField is one input of a wallet form.
type walletField struct {
	Name  string // the API's param name
	Label string
	// Input is text, url, password or textarea; secrets are password or
	// textarea and are never filled back in.
	Input       string
	Placeholder string
	Hint        string
	Optional    bool
}

// walletKinds lists every wallet type the Wallet page offers, in the order
// shown. Each type's params are those of gateway.WalletParams.
var walletKinds = []walletKind{
	{
		Type: "test", Name: "Built-in test wallet", Builtin: true,
		Intro: "Test mode's wallet when no other is connected: its invoices are regtest invoices that you pay with the " +
			"checkout page's \"Simulate payment\" button or the satsrail testwallet pay command. No money moves. Live mode has no test wallet.",
	},
	{
		Type: "lnd", Name: "LND", Alt: true,
		Intro: "Your own LND node, reached over its REST port (8080 by default).",
		HowTo: []string{
			"On the node, bake a macaroon that can only make and read invoices: lncli bakemacaroon invoices:read invoices:write (prints it as hex).",
			"Give the REST URL (https://host:8080), that macaroon, and the node's tls.cert (PEM) unless its certificate is publicly trusted.",
			"Or paste an lndconnect:// URI made with that macaroon instead of the three fields.",
			"Never use admin.macaroon: it can spend, and it is refused.",
		},
		Fields: []walletField{
			{Name: "connection_string", Label: "lndconnect URI", Input: "password", Placeholder: "lndconnect://host:8080?cert=…&macaroon=…", Optional: true,
				Hint: "Instead of the fields below."},
			{Name: "rest_url", Label: "REST URL", Input: "url", Placeholder: "https://node.example:8080", Optional: true},
			{Name: "macaroon", Label: "Invoice macaroon (hex)", Input: "textarea", Optional: true},
			{Name: "tls_cert", Label: "TLS certificate (PEM)", Input: "textarea", Optional: true,
				Hint: "The node's tls.cert, pinned; leave empty for a publicly trusted certificate."},
		},
	},
	{
		Type: "nwc", Name: "Nostr Wallet Connect",
		Intro: "Alby Hub, or another wallet that speaks NIP-47, through a Nostr relay.",
		HowTo: []string{
			"In Alby Hub open App Connections → Add connection, name it satsrail.",
			"Allow only \"Create invoices\", \"Lookup status of invoices\" and \"Read your node info\"; leave \"Send payments\" off (a connection that can pay is refused).",
			"Copy the nostr+walletconnect:// pairing secret it shows.",
		},
		Fields: []walletField{
			{Name: "connection_string", Label: "Pairing secret", Input: "password", Placeholder: "nostr+walletconnect://…?relay=…&secret=…"},
		},
	},
	{
		Type: "cln", Name: "Core Lightning",
		Intro: "Your own Core Lightning node, through its clnrest plugin.",
		HowTo: []string{
			"Make a rune restricted to receiving: lightning-cli createrune restrictions='[[\"method=invoice\",\"method=listinvoices\",\"method=waitanyinvoice\",\"method=getinfo\"]]'",
			"A rune that allows pay, xpay or withdraw, or has no restrictions, is refused.",
			"Give the clnrest URL (https://host:3010) and, for its self-signed certificate, the CA certificate (ca.pem) to pin.",
		},
		Fields: []walletField{
			{Name: "rest_url", Label: "clnrest URL", Input: "url", Placeholder: "https://node.example:3010"},
			{Name: "rune", Label: "Rune", Input: "password"},
			{Name: "tls_cert", Label: "CA certificate (PEM)", Input: "textarea", Optional: true},
		},
	},
	{
		Type: "phoenixd", Name: "phoenixd",
		Intro: "ACINQ's phoenixd server.",
		HowTo: []string{
			"Open ~/.phoenix/phoenix.conf on its host.",
			"Copy http-password-limited-access (it can make and read invoices, not pay); never http-password, which is refused where it can be told apart.",
		},
		Fields: []walletField{
			{Name: "url", Label: "phoenixd URL", Input: "url", Placeholder: "https://phoenixd.example:9740"},
			{Name: "password", Label: "Limited-access password", Input: "password"},
		},
	},
	{
		Type: "lnbits", Name: "LNbits",
		Intro: "A wallet on an LNbits server.",
		HowTo: []string{
			"Open the wallet in LNbits and its \"Node URL, API keys and API docs\" panel.",
			"Copy the Invoice/read key; never the Admin key, which can spend and is refused where detectable.",
		},
		Fields: []walletField{
			{Name: "url", Label: "LNbits URL", Input: "url", Placeholder: "https://lnbits.example"},
			{Name: "api_key", Label: "Invoice/read key", Input: "password"},
		},
	},
	{
		Type: "lndhub", Name: "LNDhub account", Custodial: true,
		Intro: "An account on an LNDhub server (BlueWallet-style).",
		HowTo: []string{
			"In the wallet app, export or back up the account: it shows an lndhub://login:password@https://host URI.",
			"LNDhub has no receive-only credential: that login can also spend the balance.",
		},
		Fields: []walletField{
			{Name: "connection_string", Label: "LNDhub URI", Input: "password", Placeholder: "lndhub://login:password@https://hub.example"},
		},
	},
	{
		Type: "lightning_address", Name: "Lightning Address",
		Intro: "A Lightning Address (name@domain) whose provider supports LUD-21 verify: receive-only by nature.",
		HowTo: []string{
			"Use your address as your wallet shows it, e.g. shop@getalby.com.",
			"Its provider must offer a verify URL for each invoice (LUD-21), or it is refused: payments could not be confirmed.",
		},
		Fields: []walletField{
			{Name: "address", Label: "Lightning Address", Input: "email", Placeholder: "name@domain.example"},
		},
	},
}

// walletKindOf returns the type's entry, or nil.
func walletKindOf(typ string) *walletKind {
	i := slices.IndexFunc(walletKinds, func(k walletKind) bool { return k.Type == typ })
	if i < 0 {
		return nil
	}
	return &walletKinds[i]
}
