package httpapi

// registerCustomers adds the routes of the family (see docs/).
func (s *Server) registerCustomers() {
}
