package httpapi

// registerVendors adds the routes of the family (see docs/).
func (s *Server) registerVendors() {
}
