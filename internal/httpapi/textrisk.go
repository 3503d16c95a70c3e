package httpapi

// registerTextRisk adds the routes of the family (see docs/).
func (s *Server) registerTextRisk() {
}
