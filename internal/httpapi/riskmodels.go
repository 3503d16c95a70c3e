package httpapi

// registerRiskModels adds the routes of the family (see docs/).
func (s *Server) registerRiskModels() {
}
