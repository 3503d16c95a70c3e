package httpapi

// registerAssessments adds the routes of the family (see docs/).
func (s *Server) registerAssessments() {
}
