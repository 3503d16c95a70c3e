package httpapi

import (
	"net/http"

	swaggerfiles "github.com/swaggo/files/v2"
)

// docsPage loads Swagger UI from the binary: riskd is often installed where
// no CDN can be reached.
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>riskd API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`

// The initialiser is a separate file so the page works under a strict
// Content-Security-Policy without inline scripts.
const docsInit = `window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true});`

func (s *Server) mountDocs() {
	s.mux.HandleFunc("GET /docs", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		_, _ = w.Write([]byte(docsPage))
	})
	s.mux.HandleFunc("GET /docs/init.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(docsInit))
	})
	s.mux.Handle("GET /docs/assets/", http.StripPrefix("/docs/assets/", http.FileServerFS(swaggerfiles.FS)))
}
