package main

import (
	"bytes"
	"os"
	"testing"
)

// TestTableIsGenerated fails when table.go is not what gen makes of
// list-one.xml: someone edited it by hand, or replaced the list without
// running go generate.
func TestTableIsGenerated(t *testing.T) {
	src, err := os.ReadFile("../list-one.xml")
	if err != nil {
		t.Fatal(err)
	}
	iso, curs, err := parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(iso.Published, curs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("table.go is stale: run go generate ./internal/currency")
	}
}

// TestParseRefuses checks the generator stops on a list it cannot trust.
func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"no date":      `<ISO_4217><CcyTbl></CcyTbl></ISO_4217>`,
		"bad exponent": `<ISO_4217 Pblshd="x"><CcyTbl><CcyNtry><CtryNm>A</CtryNm><CcyNm>A</CcyNm><Ccy>AAA</Ccy><CcyNbr>1</CcyNbr><CcyMnrUnts>7</CcyMnrUnts></CcyNtry></CcyTbl></ISO_4217>`,
		"bad code":     `<ISO_4217 Pblshd="x"><CcyTbl><CcyNtry><CtryNm>A</CtryNm><CcyNm>A</CcyNm><Ccy>aa1</Ccy><CcyNbr>1</CcyNbr><CcyMnrUnts>2</CcyMnrUnts></CcyNtry></CcyTbl></ISO_4217>`,
		"two exponents": `<ISO_4217 Pblshd="x"><CcyTbl>` +
			`<CcyNtry><CtryNm>A</CtryNm><CcyNm>A</CcyNm><Ccy>AAA</Ccy><CcyNbr>1</CcyNbr><CcyMnrUnts>2</CcyMnrUnts></CcyNtry>` +
			`<CcyNtry><CtryNm>B</CtryNm><CcyNm>A</CcyNm><Ccy>AAA</Ccy><CcyNbr>1</CcyNbr><CcyMnrUnts>0</CcyMnrUnts></CcyNtry></CcyTbl></ISO_4217>`,
	} {
		if _, _, err := parse([]byte(doc)); err == nil {
			t.Errorf("%s: parse accepted it", name)
		}
	}
}
