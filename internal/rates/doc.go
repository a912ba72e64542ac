// Package rates prices bitcoin in fiat for satsrail (SPEC §7).
//
// Each public price API is a small Provider (Coinbase, Kraken, Bitstamp,
// CoinGecko) that turns one HTTP round into gateway.Quotes. Source keeps the
// latest quote of every provider for every currency, refreshed in the
// background by Run, and answers gateway.RateSource from memory: the median of
// the fresh quotes with outliers dropped, or an explicitly configured fixed
// rate when no provider has answered in the last gateway.MaxRateAge.
//
// Prices are exact decimals from the wire text to the median; no float is
// ever stored.
package rates
