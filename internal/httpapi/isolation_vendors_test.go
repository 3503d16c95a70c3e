package httpapi_test

import (
	"strconv"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
)

func init() {
	isolationSeeds["/v1/vendors"] = seedVendor
	isolationSeeds["/v1/risk-events"] = seedRiskEvent
}

// seedVendor creates a vendor with a source; the source's URL is never
// fetched (only roles below the poll's are refused before it would be).
func seedVendor(t *testing.T, e *apitest.Env) map[string]string {
	v := createVendor(t, e, `{"name":"Isolated Vendor"}`)
	var src struct{ ID int64 }
	e.Do("POST", "/v1/vendors/"+v.URN+"/sources", e.Tokens[auth.Assessor], `{"type":"STATUS_PAGE","url":"https://status.isolated.example"}`).
		Expect(t, 201).JSON(t, &src)
	return map[string]string{"urn": v.URN, "id": strconv.FormatInt(src.ID, 10)}
}

func seedRiskEvent(t *testing.T, e *apitest.Env) map[string]string {
	v := createVendor(t, e, `{"name":"Isolated Event Vendor"}`)
	return map[string]string{"urn": createEvent(t, e, v.URN, "isolated event").URN}
}
