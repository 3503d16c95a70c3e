package customer

import (
	"bufio"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/riskd/riskd/internal/errs"
)

// isoCodes lists the 249 officially assigned ISO 3166-1 alpha-2 codes,
// sorted, two letters each. Reserved and withdrawn codes (UK, AN, XK for
// Kosovo …) are not assigned and are refused.
const isoCodes = "" +
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZ" +
	"BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ" +
	"CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ" +
	"DEDJDKDMDODZ" +
	"ECEEEGEHERESET" +
	"FIFJFKFMFOFR" +
	"GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY" +
	"HKHMHNHRHTHU" +
	"IDIEILIMINIOIQIRISIT" +
	"JEJMJOJP" +
	"KEKGKHKIKMKNKPKRKWKYKZ" +
	"LALBLCLILKLRLSLTLULVLY" +
	"MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ" +
	"NANCNENFNGNINLNONPNRNUNZ" +
	"OM" +
	"PAPEPFPGPHPKPLPMPNPRPSPTPWPY" +
	"QA" +
	"RERORSRURW" +
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ" +
	"TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ" +
	"UAUGUMUSUYUZ" +
	"VAVCVEVGVIVNVU" +
	"WFWS" +
	"YEYT" +
	"ZAZMZW"

// IsCountry reports whether code is an assigned ISO 3166-1 alpha-2 code in
// upper case.
func IsCountry(code string) bool {
	if len(code) != 2 {
		return false
	}
	n := len(isoCodes) / 2
	i := sort.Search(n, func(i int) bool { return isoCodes[2*i:2*i+2] >= code })
	return i < n && isoCodes[2*i:2*i+2] == code
}

// CountryFactors are one jurisdiction's factors, each from 0 (lowest risk)
// to 1. A nil factor means the source does not cover the jurisdiction; it
// is scored with the methodology's unknown_default.
type CountryFactors struct {
	CPI  *float64 `json:"cpi"`
	FSI  *float64 `json:"fsi"`
	FATF *float64 `json:"fatf"`
	OECD *float64 `json:"oecd"`
}

// Factor returns a factor value for CountryFactors literals.
func Factor(v float64) *float64 { return &v }

func (c CountryFactors) list() [4]*float64 { return [4]*float64{c.CPI, c.FSI, c.FATF, c.OECD} }

// countryColumns is the CSV header, in the order of CountryFactors.
var countryColumns = [5]string{"country", "cpi", "fsi", "fatf", "oecd"}

// maxCSVErrors stops a parse of a wrong file before its error list grows
// without bound.
const maxCSVErrors = 50

// ParseCountriesCSV reads an operator's country table: a header line
// "country,cpi,fsi,fatf,oecd", then one line per ISO 3166-1 alpha-2 code
// with factors from 0 to 1. An empty cell means the source does not cover
// that jurisdiction. Lines starting with # are comments, a UTF-8 byte order
// mark (as spreadsheets write) is skipped, and codes are matched in any
// case. Every problem is reported at once as a validation error whose field
// names the line and column, for example "line 7, column fsi".
func ParseCountriesCSV(r io.Reader) (map[string]CountryFactors, error) {
	// The byte order mark goes before the reader sees the first line, so a
	// file that starts with a comment is still read as one.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1 // a wrong field count is reported with its line, below
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var f errs.Fields
	errCount := 0
	add := func(field, format string, args ...any) {
		errCount++
		f.Add(field, format, args...)
	}
	out := map[string]CountryFactors{}
	header := true
	for errCount < maxCSVErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				add(fmt.Sprintf("line %d", pe.Line), "%v", pe.Err)
				continue
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if !isHeader(rec) {
				add(fmt.Sprintf("line %d", line), "header must be %s", strings.Join(countryColumns[:], ","))
				break
			}
			continue
		}
		if len(rec) != len(countryColumns) {
			add(fmt.Sprintf("line %d", line), "must have %d columns (%s), has %d", len(countryColumns), strings.Join(countryColumns[:], ","), len(rec))
			continue
		}
		code := strings.ToUpper(strings.TrimSpace(rec[0]))
		switch {
		case !IsCountry(code):
			add(fmt.Sprintf("line %d, column country", line), "%q is not an ISO 3166-1 alpha-2 country code", rec[0])
			continue
		case hasKey(out, code):
			add(fmt.Sprintf("line %d, column country", line), "%s appears more than once", code)
			continue
		}
		var row [4]*float64
		ok := true
		for i := range row {
			cell := strings.TrimSpace(rec[i+1])
			if cell == "" {
				continue
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
				add(fmt.Sprintf("line %d, column %s", line, countryColumns[i+1]), "%q must be a number from 0 to 1, or empty", cell)
				ok = false
				continue
			}
			row[i] = Factor(v)
		}
		if ok {
			out[code] = CountryFactors{CPI: row[0], FSI: row[1], FATF: row[2], OECD: row[3]}
		}
	}
	if errCount >= maxCSVErrors {
		f.Add("", "stopped after %d errors", maxCSVErrors)
	}
	if header {
		f.Add("line 1", "header must be %s", strings.Join(countryColumns[:], ","))
	} else if f.Empty() && len(out) == 0 {
		f.Add("", "no countries")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func isHeader(rec []string) bool {
	if len(rec) != len(countryColumns) {
		return false
	}
	for i, c := range countryColumns {
		if !strings.EqualFold(strings.TrimSpace(rec[i]), c) {
			return false
		}
	}
	return true
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// defaultCountriesCSV is the shipped country table, in the import format so
// that operators can start from it.
//
//go:embed countries.csv
var defaultCountriesCSV string
