// Package survey owns questionnaires and their responses: the JSON schema
// that is the source of truth for a questionnaire (XLSForm is converted to
// and from it), the small expression language of skip logic and
// constraints, validation of a response against its questionnaire, and the
// storage, quotas, results and exports of responses.
package survey

// Text is a label in several languages: language tag → text ("zh-CN",
// "en"). The first language of the questionnaire is the default.
type Text map[string]string

// QType is a question type.
type QType string

const (
	Single   QType = "single"   // one choice; answer: choice name (string)
	Multiple QType = "multiple" // several choices; answer: []string of choice names
	Short    QType = "text"     // short text; answer: string
	Long     QType = "textarea" // long text; answer: string
	Number   QType = "number"   // answer: number (Integer: whole numbers only)
	Date     QType = "date"     // answer: "YYYY-MM-DD"
	Rating   QType = "rating"   // answer: integer 1..Scale
	Matrix   QType = "matrix"   // rows × choices; answer: {row name: choice name}
	Ranking  QType = "ranking"  // answer: []string, every choice once, in order
	Location QType = "location" // answer: {"lat": n, "lng": n} (WGS-84)
	Photo    QType = "photo"    // answer: photo id (string) from the photo upload
	Note     QType = "note"     // text shown, no answer
)

// Types lists every question type.
var Types = []QType{Single, Multiple, Short, Long, Number, Date, Rating, Matrix, Ranking, Location, Photo, Note}

// Choice is an option (or a matrix row).
type Choice struct {
	Name  string `json:"name"`
	Label Text   `json:"label"`
}

// Question is one question.
type Question struct {
	Name     string `json:"name"` // [A-Za-z_][A-Za-z0-9_]{0,63}, unique in the questionnaire
	Type     QType  `json:"type"`
	Label    Text   `json:"label"`
	Hint     Text   `json:"hint,omitempty"`
	Required bool   `json:"required,omitempty"`
	// RequiredMessage replaces the default "this question is required".
	RequiredMessage Text     `json:"required_message,omitempty"`
	Choices         []Choice `json:"choices,omitempty"` // single, multiple, ranking; matrix columns
	Rows            []Choice `json:"rows,omitempty"`    // matrix rows
	// Randomize shuffles the choices' order per respondent.
	Randomize bool `json:"randomize,omitempty"`
	Integer   bool `json:"integer,omitempty"` // number: whole numbers only
	Scale     int  `json:"scale,omitempty"`   // rating: 1..Scale (default 5)
	// Constraint is an expression that must hold for the answer ("." is
	// the answer), e.g. ". >= 0 and . <= 120" or "regex(., '^1[3-9][0-9]{9}$')";
	// ConstraintMessage says what is wrong, in each language.
	Constraint        string `json:"constraint,omitempty"`
	ConstraintMessage Text   `json:"constraint_message,omitempty"`
	// Relevant is an expression over earlier answers (${name}); the
	// question is shown, and may be answered, only when it holds.
	Relevant string `json:"relevant,omitempty"`
	Page     int    `json:"page,omitempty"` // 1-based; 0 = page 1
}

// Schema is a questionnaire's content.
type Schema struct {
	Title     Text       `json:"title"`
	Languages []string   `json:"languages"` // e.g. ["zh-CN", "en"]; the first is the default
	Questions []Question `json:"questions"`
}
