// Package rates prices bitcoin in fiat for satsrail (SPEC §7).
//
// Each public price API is a small Provider that turns one HTTP round into
// gateway.Quotes for the currencies it quotes. Source keeps the latest quote
// of every provider for every currency, refreshed in the background by Run,
// and answers gateway.RateSource from memory: the median of the fresh quotes
// with outliers dropped, or an explicitly configured fixed rate when no
// provider has answered in the last gateway.MaxRateAge.
//
// # Currencies
//
// Source prices every active ISO 4217 currency (internal/currency) that at
// least one configured provider quotes — about 150 with the default eight.
// A currency no configured provider quotes is unknown (422 on the field);
// one a provider quotes but none has priced in the last MaxRateAge is
// rate_unavailable (503). Each provider's coverage is a fixed list in its
// file, the ISO codes of its documented answer.
//
// # Providers, and why these
//
//   - coinbase: the exchange-rates endpoint, one request for about 150
//     fiat currencies; the widest coverage of any free source.
//   - kraken, bitstamp: exchanges with deep BTC order books in the major
//     currencies (7 and 3).
//   - coingecko: an aggregator over many exchanges, 45 fiat currencies
//     including BDT, NGN, PKR, VND, LKR; dates its prices.
//   - yadio: one request for about 90 currencies, and the price people
//     actually pay where a parallel market sets it (ARS, VES, CUP, BOB, ...);
//     used by BTCPay Server, LNP2PBot and Mostro for Latin America. Chosen
//     for coverage where banks don't price.
//   - blockchain: Blockchain.com's ticker, public and unchanged for over a
//     decade, 27 currencies; a second source for ISK, CLP, ARS and others
//     that otherwise would have one. Chosen for stability.
//   - bitso: real BTC order books in MXN, ARS, BRL and COP, from the largest
//     exchange of Latin America.
//   - luno: real BTC order books in ZAR, NGN, UGX, ZMW, MYR and IDR, where
//     few other sources trade.
//
// Skipped: sources that need an API key or an account (CoinMarketCap,
// Open Exchange Rates), and single-country exchanges whose currencies the
// sources above already cover.
//
// # The median with outliers
//
// With one or two fresh quotes the price is their median (one quote is its
// own median: the response lists that single source). With three or more, a
// quote more than MaxDeviationPercent from the median of all is dropped
// first — which is what happens where parallel-market and official prices
// differ (ARS: Yadio and Bitso trade near the parallel rate, Coinbase,
// CoinGecko and Blockchain.com quote the official one; the majority wins).
// gateway.Rate says how many fresh quotes there were (Fresh) and which
// agreed (Sources); /rates shows both.
//
// A quote is as old as the time its provider asked, or as the time the
// provider's answer gives for it when that is earlier (Bitso's created_at,
// Luno's and Yadio's timestamp, CoinGecko's last_updated_at), so a source
// serving a frozen price ages out like a silent one.
//
// Prices are exact decimals from the wire text to the median; no float is
// ever stored.
package rates
