package client_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImports holds the SDK to the standard library and apitype, so that a
// merchant's backend pulls in nothing else by depending on it.
func TestImports(t *testing.T) {
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
			if !std && p != "github.com/satsrail/satsrail/apitype" {
				t.Errorf("%s imports %s: the SDK may import only the standard library and apitype", name, p)
			}
		}
		checked++
	}
	if checked < 4 {
		t.Fatalf("checked only %d files", checked)
	}
}
