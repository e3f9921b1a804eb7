package portal

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// assets are the embedded static files, each reachable under its content-hashed name
// (app.3f2a9c1d.css, cached for a year) and under its plain name (app.css, revalidated), for
// pages that cannot know the hash.
type assets struct {
	byName map[string]*asset // plain and hashed names
	hashed map[string]string // plain name → hashed name
	fixed  map[string]bool   // hashed names
}

// loadAssets reads and hashes every file under static/.
func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, hashed: map[string]string{}, fixed: map[string]bool{}}
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	for _, f := range files {
		body, err := staticFS.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read asset %s: %w", f, err)
		}
		name := path.Base(f)
		ext := path.Ext(name)
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		as := &asset{body: body, contentType: ct, etag: `"` + hash + `"`}
		hashedName := strings.TrimSuffix(name, ext) + "." + hash + ext
		a.byName[name], a.byName[hashedName] = as, as
		a.hashed[name] = hashedName
		a.fixed[hashedName] = true
	}
	return a, nil
}

// url returns the cache-busting URL of the asset named name; it panics on an unknown name,
// which only a broken template can cause (New parses every template at start-up).
func (a *assets) url(name string) string {
	h, ok := a.hashed[name]
	if !ok {
		panic("portal: unknown asset " + name)
	}
	return "/api/app/static/" + h
}

// static serves GET /api/app/static/{file}.
func (h *Handler) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	as, ok := h.assets.byName[name]
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return nil
	}
	hd := w.Header()
	hd.Set("Content-Type", as.contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", as.etag)
	if h.assets.fixed[name] {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=300, must-revalidate")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, as.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, _ = w.Write(as.body)
	return nil
}
