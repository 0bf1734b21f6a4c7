package fakeapi

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // register decoders: sendPhoto checks the image like Telegram
	"image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

const (
	kindDocument = "document"
	kindPhoto    = "photo"
	kindSticker  = "sticker"
	kindVoice    = "voice"
)

// storedFile is a file known to the server, uploaded by the bot or sent by
// a simulated user. Its data is never modified after creation.
type storedFile struct {
	id, uniqueID string
	path         string // file_path for getFile and the download route
	name, mime   string
	kind         string
	data         []byte
	width        int
	height       int
}

func (s *Server) storeFileLocked(kind, name, mimeType string, data []byte) *storedFile {
	s.fileSeq++
	n := s.fileSeq
	ext := path.Ext(name)
	switch kind {
	case kindPhoto:
		ext = ".jpg"
		if exts, _ := mime.ExtensionsByType(mimeType); mimeType != "image/jpeg" && len(exts) > 0 {
			ext = exts[0]
		}
	case kindSticker:
		ext = ".webp"
	case kindVoice:
		ext = ".oga"
	}
	f := &storedFile{
		// Opaque, unguessable-looking ids; the sequence number keeps them unique.
		id:       fmt.Sprintf("%s%d_%s", idPrefix(kind), n, rand.Text()[:12]),
		uniqueID: fmt.Sprintf("AgAD%d%s", n, rand.Text()[:6]),
		path:     fmt.Sprintf("%ss/file_%d%s", kind, n, ext),
		name:     name,
		mime:     mimeType,
		kind:     kind,
		data:     data,
	}
	if kind == kindPhoto {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			f.width, f.height = cfg.Width, cfg.Height
		}
	}
	s.files[f.id] = f
	s.filePaths[f.path] = f
	return f
}

func idPrefix(kind string) string {
	switch kind {
	case kindPhoto:
		return "AgACAgQ"
	case kindSticker:
		return "CAACAgQ"
	case kindVoice:
		return "AwACAgQ"
	}
	return "BQACAgQ"
}

var kindTitle = map[string]string{kindDocument: "Document", kindPhoto: "Photo", kindSticker: "Sticker", kindVoice: "Voice"}

// resolveInputFileLocked turns the field of a send method into a stored file:
// an uploaded multipart part, "attach://<part>", or an existing file_id.
// HTTP URLs are not fetched.
func (s *Server) resolveInputFileLocked(req *request, field, kind string) (*storedFile, *apiError) {
	up := req.files[field]
	v := strings.TrimSpace(req.str(field))
	if up == nil && strings.HasPrefix(v, "attach://") {
		up = req.files[strings.TrimPrefix(v, "attach://")]
		if up == nil {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
	}
	if up != nil {
		if len(up.data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		name := path.Base(strings.ReplaceAll(up.name, `\`, "/"))
		if kind == kindPhoto {
			if _, _, err := image.DecodeConfig(bytes.NewReader(up.data)); err != nil {
				return nil, badRequest("IMAGE_PROCESS_FAILED")
			}
			if len(up.data) > 10<<20 {
				return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
			}
		}
		return s.storeFileLocked(kind, name, detectMIME(name, up.contentType, up.data), up.data), nil
	}
	if v == "" {
		return nil, badRequest("there is no %s in the request", field)
	}
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return nil, badRequest("failed to get HTTP URL content")
	}
	f := s.files[v]
	if f == nil {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	if f.kind != kind && (f.kind == kindPhoto || kind == kindPhoto) {
		return nil, badRequest("can't use file of type %s as %s", kindTitle[f.kind], kindTitle[kind])
	}
	return f, nil
}

// knownMIME keeps detection independent of the host's mime.types files.
var knownMIME = map[string]string{
	".pdf": "application/pdf", ".txt": "text/plain", ".csv": "text/csv",
	".json": "application/json", ".zip": "application/zip",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".jpg":  "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".ogg": "audio/ogg", ".mp3": "audio/mpeg", ".mp4": "video/mp4",
}

// detectMIME follows Telegram: the file name's extension decides, the
// client's part header is a fallback (go-telegram-bot-api always sends
// application/octet-stream).
func detectMIME(name, partType string, data []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := knownMIME[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	if partType != "" && partType != "application/octet-stream" {
		return partType
	}
	if t := http.DetectContentType(data); t != "application/octet-stream" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	return "application/octet-stream"
}

func (f *storedFile) tgFile() tgFile {
	return tgFile{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path}
}

func (f *storedFile) document() *tgDocument {
	return &tgDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: len(f.data)}
}

// photoSizes returns one size (the original). Telegram sends several, the
// largest last; bots that take the last element work with both.
func (f *storedFile) photoSizes() []tgPhotoSize {
	return []tgPhotoSize{{FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height, FileSize: len(f.data)}}
}

// getFile: file_id -> File with a file_path for the download route.
func (s *Server) getFile(req *request) (any, error) {
	id := strings.TrimSpace(req.str("file_id"))
	if id == "" {
		return nil, badRequest("file_id not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	return f.tgFile(), nil
}

// serveFile is GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, filePath, ok := strings.Cut(rest, "/")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	if token != s.opts.Token {
		writeError(w, errUnauthorized)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, errNotFound)
		return
	}
	s.mu.Lock()
	f := s.filePaths[filePath]
	s.mu.Unlock()
	if f == nil {
		writeError(w, errNotFound)
		return
	}
	w.Header().Set("Content-Type", f.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.data)
	}
}

// sampleJPEG is a small valid JPEG of width by height for simulated user
// photos.
func sampleJPEG(seed, width, height int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	c := color.RGBA{R: uint8(seed * 40), G: 120, B: 200, A: 255}
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}
