// Package mcpserver is `satsrail mcp`: a Model Context Protocol server, on
// the official Go MCP SDK, that lets an AI agent use a merchant's satsrail
// account through tools (create, get, list and expire checkout sessions,
// list and create products, list transactions, get rates, get the
// merchant). Every tool calls the merchant API through the public Go SDK
// (package client) with the merchant's secret key; the server holds no other
// state.
//
// An API error is returned as a tool error (IsError) whose text is the API's
// code, message, field details and request id, so the agent can correct its
// arguments; arguments that do not match a tool's input schema are refused
// the same way before any request is made.
package mcpserver
