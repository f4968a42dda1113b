package open311_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzPostForm posts arbitrary bodies to POST requests. Whatever arrives,
// the handler must not panic and must answer the client's fault as the
// spec's error array (400, 403 or 404), never a server error; a body that
// files a case answers 201 or 200 with the created request. "{KEY}" in the
// body stands for a valid API token and {LAT}/{LONG} for a point inside a
// grid, so the fuzzer gets past the api_key and location checks.
func FuzzPostForm(f *testing.F) {
	for _, seed := range []struct{ body, ctype, idem string }{
		{"api_key={KEY}&service_code=1501&lat={LAT}&long={LONG}&description=%E6%B6%88%E9%98%B2%E9%80%9A%E9%81%93%E5%A0%B5%E5%A1%9E", "", ""},
		{"api_key={KEY}&service_code=1501&lat={LAT}&long={LONG}&description=x&attribute[hazard_level]=major&media_url=https://a.b/c.jpg", "", "k1"},
		{"api_key={KEY}&service_code=1501&address_string=%E5%8D%95%E5%8E%BF", "", ""},
		{"api_key={KEY}&service_code=15&lat=NaN&long=Inf", "", ""},
		{"api_key={KEY}&service_code=1501&lat=1e400&long=-1e400&attribute[hazard_level][]=a&attribute[hazard_level][]=b", "", ""},
		{"api_key={KEY}&service_code=1602&lat={LAT}&long={LONG}&attribute[parties_count]=1e999&phone=%2B86+138", "", ""},
		{"api_key={KEY}&service_code=1501&lat={LAT}&long={LONG}&description=%FF%FE&first_name=%00", "", ""},
		{"api_key={KEY}&attribute[=1&attribute]]=2&attribute[a][b]=3", "", ""},
		{"api_key=%zz&&&=", "", ""},
		{"", "", ""},
		{"api_key=cg_x", "", ""},
		{"--b\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n{KEY}\r\n--b--\r\n", "multipart/form-data; boundary=b", ""},
		{"{\"api_key\":\"{KEY}\"}", "application/json", ""},
	} {
		f.Add(seed.body, seed.ctype, seed.idem)
	}
	e := sharedEnv(f)
	key := e.token(f, "demo_resident")
	lat, long := strconv.FormatFloat(e.point.Lat, 'f', 6, 64), strconv.FormatFloat(e.point.Lng, 'f', 6, 64)
	f.Fuzz(func(t *testing.T, body, ctype, idem string) {
		body = strings.NewReplacer("{KEY}", key, "{LAT}", lat, "{LONG}", long).Replace(body)
		if ctype == "" {
			ctype = "application/x-www-form-urlencoded"
		}
		req := httptest.NewRequest("POST", "/open311/v2/requests.json", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		var list []map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) == 0 {
			t.Fatalf("status %d, body is not a non-empty JSON array: %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
			if id, _ := list[0]["service_request_id"].(string); id == "" {
				t.Fatalf("success without service_request_id: %q", rec.Body.String())
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
			for _, e := range list {
				if e["code"] != float64(rec.Code) || e["description"] == "" {
					t.Fatalf("malformed error: %q", rec.Body.String())
				}
			}
		default:
			t.Fatalf("status %d for body %q: %q", rec.Code, body, rec.Body.String())
		}
	})
}
