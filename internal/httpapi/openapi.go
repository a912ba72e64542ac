package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of this API (SPEC §2).
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(c *call) (int, any, error) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Access-Control-Allow-Origin", "*")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(openAPIDoc)
	return 0, nil, nil // already written
}
