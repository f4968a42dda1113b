package survey

// Visible reports which questions a respondent sees given the answers so
// far, by the same rule as Check: in order, each question's skip logic
// evaluated over the earlier answers that were themselves shown and valid.
func (s *Schema) Visible(answers map[string]any, today string) map[string]bool {
	clean, _ := s.Check(answers, today)
	shown := make(map[string]bool, len(s.Questions))
	seen := map[string]any{}
	for _, q := range s.Questions {
		ok := true
		if q.Relevant != "" {
			var err error
			if ok, err = evalCond(q.Relevant, Env{Answers: seen, Today: today}); err != nil {
				ok = false
			}
		}
		shown[q.Name] = ok
		if v, has := clean[q.Name]; ok && has {
			seen[q.Name] = v
		}
	}
	return shown
}
