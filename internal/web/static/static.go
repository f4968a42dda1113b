// Package static holds the web app's static files (app.css, app.js and the
// third-party files in vendor/, see scripts/vendor-assets.sh), embedded into
// the binary. Serve them through package civicgrid/internal/web/assets.
package static

import "embed"

// FS contains app.css, app.js and everything under vendor/.
//
//go:embed vendor app.css app.js map.js live.js report.js case.js casemap.js volunteer.js survey.js
var FS embed.FS
