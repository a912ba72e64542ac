// Package i18n is the language of the pages customers see (the hosted
// checkout, payment links and their thank-you page): one embedded message
// catalogue per language (locales/<tag>.json, English the reference), the
// choice of a page's language (?locale=, then the session's locale, then
// Accept-Language, then English), and amounts, sats, numbers and times
// formatted for that language with golang.org/x/text (grouping, decimal
// mark, digits, currency symbol and its position).
//
// The languages are gateway.Locales(): the API refuses a session locale the
// pages cannot speak, and this package's tests fail when a catalogue is
// missing, lacks a key English has, or has one English lacks.
package i18n
