// Package currency is satsrail's table of fiat currencies: every active ISO
// 4217 currency with its minor-unit exponent (0 for JPY, 2 for USD, 3 for KWD,
// ...), generated from the ISO list and never typed by hand.
//
// list-one.xml is ISO 4217 list one as published by SIX for the maintenance
// agency (https://www.six-group.com/en/products-services/financial-information/data-standards.html);
// gen turns it into table.go. To take a new amendment, replace list-one.xml
// and run
//
//	go generate ./internal/currency
//
// Codes are lower case throughout satsrail ("usd", "jpy"); Normalize turns a
// code in any case into that form. An amount in a currency is an integer
// number of its minor unit: 500 jpy is ¥500, 1500 kwd is KD 1.500, 1999 brl
// is R$ 19.99.
//
// The package is std-only and does no I/O, so the domain (gateway), the rate
// providers and the pages can all use it.
package currency

//go:generate go run ./gen -in list-one.xml -out table.go
