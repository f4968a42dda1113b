package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
)

type reqIDKey struct{}

// RequestID returns the request id carried by ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(reqIDKey{}).(string)
	return id
}

// LogHandler adds the request id to every log record made with a request's
// context, so one request's lines can be found together.
func LogHandler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}
func (h ctxHandler) WithAttrs(a []slog.Attr) slog.Handler { return ctxHandler{h.Handler.WithAttrs(a)} }
func (h ctxHandler) WithGroup(n string) slog.Handler      { return ctxHandler{h.Handler.WithGroup(n)} }

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// outer wraps every request: id, security headers, panic recovery, access
// log and metrics.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		ctx := context.WithValue(r.Context(), reqIDKey{}, id)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		// Everything the pages need is served from here; tiles may come from
		// the configured tile server.
		imgSrc := "'self' data:"
		if s.cfg.TileURL != "" {
			imgSrc += " " + tileOrigin(s.cfg.TileURL)
		}
		h.Set("Content-Security-Policy", "default-src 'self'; img-src "+imgSrc+"; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "panic", p, "path", r.URL.Path)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(pattern, sw.status, d)
			if !strings.HasPrefix(r.URL.Path, "/static/") && r.URL.Path != "/metrics" {
				s.log.InfoContext(ctx, "http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "ms", float64(d.Microseconds())/1000)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func tileOrigin(tmpl string) string {
	rest, ok := strings.CutPrefix(tmpl, "https://")
	scheme := "https://"
	if !ok {
		rest, _ = strings.CutPrefix(tmpl, "http://")
		scheme = "http://"
	}
	host, _, _ := strings.Cut(rest, "/")
	host = strings.ReplaceAll(host, "{s}", "*")
	return scheme + host
}

const (
	sessionCookie = "cg_session"
	csrfCookie    = "cg_csrf"
)

// secureCookies decides the Secure flag: always over HTTPS and on loopback
// (browsers treat http://127.0.0.1 as secure); plain HTTP on a LAN address,
// as when trying the demo from a phone, cannot keep Secure cookies at all.
func secureCookies(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type csrfKey struct{}

func csrfToken(r *http.Request) string {
	t, _ := r.Context().Value(csrfKey{}).(string)
	return t
}

// withCSRF makes sure the browser holds a CSRF cookie and puts its value in
// the context for templates (double-submit: forms and htmx send it back).
func withCSRF(w http.ResponseWriter, r *http.Request) *http.Request {
	tok := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		tok = c.Value
	} else {
		b := make([]byte, 24)
		rand.Read(b)
		tok = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	}
	return r.WithContext(context.WithValue(r.Context(), csrfKey{}, tok))
}

func checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		sent = r.PostFormValue("csrf")
	}
	return subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) == 1
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// guard resolves the actor, enforces CSRF on cookie-authenticated writes
// and checks the route's permission before the handler runs.
func (s *Server) guard(rt route) http.Handler {
	isAPI := strings.HasPrefix(rt.path, "/api/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := clientIP(r)
		viaToken := false
		var actor auth.Actor
		var authErr error
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				authErr = errs.New(errs.Unauthorized, "err.token.invalid")
			} else {
				actor, authErr = s.accounts.TokenActor(ctx, strings.TrimSpace(tok), ip)
				viaToken = true
			}
		} else if c, err := r.Cookie(sessionCookie); err == nil {
			actor, authErr = s.accounts.SessionActor(ctx, c.Value, ip)
			if authErr != nil {
				http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
			}
		}
		if actor.UserID != "" {
			ctx = auth.WithActor(ctx, actor)
		}
		r = r.WithContext(ctx)
		_, hasSession := r.Cookie(sessionCookie)
		// Forged requests ride on ambient credentials: an API call that
		// carries no session cookie has none to abuse (anonymous reports
		// from an H5 page or an app), and needs no CSRF cookie either.
		needCSRF := !isAPI || hasSession == nil
		if !viaToken && needCSRF {
			r = withCSRF(w, r)
			if unsafeMethod(r.Method) && !checkCSRF(r) {
				// An API call with no credentials at all is unauthenticated,
				// not a forged form.
				if isAPI && actor.UserID == "" && rt.perm != auth.Public {
					s.deny(w, r, isAPI, errs.New(errs.Unauthorized, "err.unauthorized"))
					return
				}
				s.deny(w, r, isAPI, errs.New(errs.Forbidden, "err.csrf"))
				return
			}
		}
		if viaToken && authErr != nil {
			s.deny(w, r, isAPI, authErr)
			return
		}
		if rt.perm != auth.Public {
			if actor.UserID == "" {
				s.deny(w, r, isAPI, errs.New(errs.Unauthorized, "err.unauthorized"))
				return
			}
			if !actor.Role.Has(rt.perm) {
				s.deny(w, r, isAPI, errs.New(errs.Forbidden, "err.forbidden"))
				return
			}
		}
		rt.h(w, r)
	})
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, isAPI bool, err error) {
	if isAPI {
		api.WriteError(w, r, s.cat, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		s.htmxError(w, r, err)
		return
	}
	if errs.Is(err, errs.Unauthorized) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.errorPage(w, r, err)
}

// htmxError answers an htmx request that failed. htmx does not swap error
// responses, so the message comes with 200 and is swapped in place; an
// ended session sends the whole page to the login form instead.
func (s *Server) htmxError(w http.ResponseWriter, r *http.Request, err error) {
	if errs.Is(err, errs.Unauthorized) {
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	tmplText(w, `<span class="error" role="alert">`, s.cat.Error(i18n.FromRequest(r), err), `</span>`)
}
