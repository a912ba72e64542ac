package main

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImports holds the shop (not its tests) to what a merchant's own code
// has: the standard library and satsrail's public packages (the SDK, its
// wire types and the webhook verifier), never the gateway's internals.
func TestImports(t *testing.T) {
	public := map[string]bool{
		"github.com/satsrail/satsrail/client":  true,
		"github.com/satsrail/satsrail/apitype": true,
		"github.com/satsrail/satsrail/webhook": true,
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
			if !std && !public[p] {
				t.Errorf("%s imports %s: the example may import only the standard library, client, apitype and webhook", name, p)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}
