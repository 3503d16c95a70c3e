package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/store/storetest"
)

func TestMethodologyImportCountries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dir := t.TempDir()
		good := filepath.Join(dir, "countries.csv")
		if err := os.WriteFile(good, []byte("\ufeff# CPI 2025\ncountry,cpi,fsi,fatf,oecd\nsg,0.16,0.21,0,0\nJE,,,0,0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// The space's first import is version 2: version 1 is the default.
		code, out, errOut := cli(t, "methodology", "import-countries", "--db", b.URL, good, "--as-of", "2027-02")
		if code != 0 || !strings.Contains(out, "draft methodology version 2") || !strings.Contains(out, "2 countries") {
			t.Fatalf("import = %d %q %q", code, out, errOut)
		}
		m, err := b.Store.Methodology(context.Background(), b.Store.Reader(), 1, 2, false)
		if err != nil {
			t.Fatal(err)
		}
		sg, je, kp := m.Methodology.Countries["SG"], m.Methodology.Countries["JE"], m.Methodology.Countries["KP"]
		if m.Methodology.Status != "draft" || m.Methodology.CountriesAsOf != "2027-02" || sg.CPI == nil || *sg.CPI != 0.16 ||
			je.CPI != nil || *je.FATF != 0 || kp.FATF == nil || *kp.FATF != 1 {
			t.Fatalf("draft: status %s, as of %s, SG %+v, JE %+v, KP %+v", m.Methodology.Status, m.Methodology.CountriesAsOf, sg, je, kp)
		}
		if v, _ := b.Store.ActiveMethodologyVersion(context.Background(), b.Store.Reader(), 1); v != 1 {
			t.Fatalf("an import changed the active version to %d", v)
		}

		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("country,cpi,fsi,fatf,oecd\nSG,0.1,1.2,0,0\nUK,0,0,0,0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut = cli(t, "methodology", "import-countries", "--db", b.URL, bad)
		if code != 1 || !strings.Contains(errOut, "line 2, column fsi") || !strings.Contains(errOut, "line 3, column country") ||
			!strings.Contains(errOut, "nothing was imported") {
			t.Fatalf("bad file = %d %q", code, errOut)
		}
		if _, err := b.Store.Methodology(context.Background(), b.Store.Reader(), 1, 3, false); err == nil {
			t.Fatal("a refused file made a version")
		}
		for _, args := range [][]string{
			{"methodology"},
			{"methodology", "import-countries", "--db", b.URL},
			{"methodology", "import-countries", "--db", b.URL, good, "extra.csv"},
		} {
			if code, _, _ := cli(t, args...); code != 2 {
				t.Errorf("%q exited %d, want 2", args, code)
			}
		}
		if code, _, _ := cli(t, "methodology", "import-countries", "--db", b.URL, filepath.Join(dir, "missing.csv")); code != 1 {
			t.Errorf("missing file exited %d, want 1", code)
		}
		if code, _, _ := cli(t, "methodology", "import-countries", "--db", b.URL, "--space", "nope", good); code != 1 {
			t.Errorf("unknown space exited %d, want 1", code)
		}
	})
}
