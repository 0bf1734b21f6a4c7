package playground

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
)

// chatView is one user's chat as the page draws it.
type chatView struct {
	User     userView          `json:"user"`
	Rev      int               `json:"rev"`
	Messages []messageView     `json:"messages"`
	Keyboard [][]replyView     `json:"keyboard"` // the reply keyboard shown, if any
	Commands []fakeapi.Command `json:"commands"` // the command menu set for the chat
}

type messageView struct {
	ID       int            `json:"id"`
	FromBot  bool           `json:"from_bot"`
	Kind     string         `json:"kind"`
	Text     string         `json:"text,omitempty"` // text, or a caption
	Date     int64          `json:"date"`           // Unix seconds
	Edited   bool           `json:"edited,omitempty"`
	Inline   [][]buttonView `json:"inline,omitempty"`
	Phone    string         `json:"phone,omitempty"`    // shared contacts
	Location *Location      `json:"location,omitempty"` // shared locations
	File     *fileView      `json:"file,omitempty"`
	ReplyTo  int            `json:"reply_to,omitempty"`
}

type buttonView struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

type replyView struct {
	Text     string `json:"text"`
	Contact  bool   `json:"contact,omitempty"`  // shares the user's phone
	Location bool   `json:"location,omitempty"` // shares where the user is
}

type fileView struct {
	Name   string `json:"name"`
	MIME   string `json:"mime"`
	Size   int    `json:"size"`
	Photo  bool   `json:"photo,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	URL    string `json:"url"`
}

func (p *Playground) chat(w http.ResponseWriter, r *http.Request) {
	su, u, ok := p.simUser(w, r)
	if !ok {
		return
	}
	// The revision is read first: if the chat changes meanwhile, the page
	// holds a newer transcript under an older revision and the event
	// stream's next revision makes it fetch once more, never the reverse.
	v := chatView{Rev: su.Chat().Revision(), Messages: []messageView{}, Keyboard: [][]replyView{}}
	for _, m := range su.Transcript() {
		if m.Deleted {
			continue // as in Telegram, a deleted message is gone
		}
		v.Messages = append(v.Messages, messageOf(u.ID, m))
	}
	for _, row := range su.ReplyKeyboard() {
		out := make([]replyView, 0, len(row))
		for _, b := range row {
			out = append(out, replyView{Text: b.Text, Contact: b.RequestContact, Location: b.RequestLocation})
		}
		v.Keyboard = append(v.Keyboard, out)
	}
	v.Commands = p.menu(su)
	v.User = p.view(r.Context(), u)
	writeJSON(w, http.StatusOK, v)
}

// menu is the command menu a Telegram client shows the user: the narrowest
// scope that has commands, in the user's language or else in none.
func (p *Playground) menu(su *fakeapi.User) []fakeapi.Command {
	lang := su.Info().LanguageCode
	for _, scope := range []fakeapi.CommandScope{
		{Type: "chat", ChatID: su.ID()},
		{Type: "all_private_chats"},
		{Type: "default"},
	} {
		if lang != "" {
			if cmds := p.opts.Server.CommandsFor(scope, lang); cmds != nil {
				return cmds
			}
		}
		if cmds := p.opts.Server.CommandsFor(scope, ""); cmds != nil {
			return cmds
		}
	}
	return []fakeapi.Command{}
}

func messageOf(userID int64, m fakeapi.Message) messageView {
	v := messageView{
		ID: m.ID, FromBot: m.FromBot, Kind: m.Kind, Text: m.Text, Date: m.Date.Unix(),
		Edited: m.Edited, Phone: m.Phone, ReplyTo: m.ReplyTo,
	}
	if v.Text == "" {
		v.Text = m.Caption
	}
	if l := m.Location; l != nil {
		v.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude}
	}
	for _, row := range m.InlineKeyboard {
		out := make([]buttonView, 0, len(row))
		for _, b := range row {
			out = append(out, buttonView{Text: b.Text, Data: b.Data, URL: b.URL})
		}
		v.Inline = append(v.Inline, out)
	}
	att, photo := m.Document, false
	if m.Photo != nil {
		att, photo = m.Photo, true
	}
	if att != nil {
		v.File = &fileView{
			Name: att.Name, MIME: att.MIME, Size: len(att.Data), Photo: photo, Width: att.Width, Height: att.Height,
			// The file id makes the address change with the content, so
			// the browser may cache it for good.
			URL: fmt.Sprintf("api/users/%d/messages/%d/file?f=%s", userID, m.ID, att.FileUniqueID),
		}
	}
	return v
}

// download serves a document or photo of a message: exports and result
// sheets the bot sent, the summary chart, or what the user sent.
func (p *Playground) download(w http.ResponseWriter, r *http.Request) {
	su, _, ok := p.simUser(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("msg"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Errorf("message id %q", r.PathValue("msg")))
		return
	}
	m, found := su.Message(id)
	att, disposition := m.Document, "attachment"
	if m.Photo != nil {
		att, disposition = m.Photo, "inline"
	}
	if !found || m.Deleted || att == nil {
		writeError(w, http.StatusNotFound, "no_file", fmt.Errorf("message %d has no file", id))
		return
	}
	if att.MIME != "" {
		w.Header().Set("Content-Type", att.MIME)
	}
	// FormatMediaType encodes a Persian file name as RFC 2231 asks.
	if cd := mime.FormatMediaType(disposition, map[string]string{"filename": att.Name}); cd != "" {
		w.Header().Set("Content-Disposition", cd)
	}
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, att.Name, m.Date, bytes.NewReader(att.Data))
}

// upload sends the file of a multipart form's "file" field as a document,
// as a user attaching a spreadsheet does.
func (p *Playground) upload(w http.ResponseWriter, r *http.Request) {
	su, _, ok := p.simUser(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, p.opts.MaxUpload+1<<20) // room for the form around the file
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			writeError(w, http.StatusBadRequest, "bad_request", errors.New("no file field in the form"))
			return
		}
		if err != nil {
			writeUploadError(w, err)
			return
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, p.opts.MaxUpload+1))
		if err != nil {
			writeUploadError(w, err)
			return
		}
		if int64(len(data)) > p.opts.MaxUpload {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Errorf("file larger than %d bytes", p.opts.MaxUpload))
			return
		}
		name := part.FileName()
		if name == "" {
			name = "file"
		}
		// Browsers send octet-stream for what they do not know; the
		// server then guesses from the name, as Telegram does.
		ctype := part.Header.Get("Content-Type")
		if ctype == "application/octet-stream" {
			ctype = ""
		}
		id, err := su.SendDocument(name, ctype, data)
		if err != nil {
			p.writeSendError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"update_id": id})
		return
	}
}

// photo sends a photo as if taken with the phone's camera: a small image
// the Bot API server makes, with the caption given (may be empty). Any image
// serves the bot's photo steps, and none has to be at hand.
func (p *Playground) photo(w http.ResponseWriter, r *http.Request) {
	su, _, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Caption string `json:"caption"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	id, err := su.SendPhotoCaption(strings.TrimSpace(req.Caption))
	if err != nil {
		p.writeSendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"update_id": id})
}

func writeUploadError(w http.ResponseWriter, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err)
		return
	}
	writeError(w, http.StatusBadRequest, "bad_request", err)
}

// events streams Server-Sent Events: "users" when the list of users
// changes, and "chat" {user, rev} when a user's chat reaches a revision not
// yet sent on this stream. A new stream sends every chat's revision first,
// so a page that reconnects catches up.
func (p *Playground) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy in front must not hold events back
	w.WriteHeader(http.StatusOK)

	srv := p.opts.Server
	heartbeat := time.NewTicker(p.opts.Heartbeat)
	defer heartbeat.Stop()
	sent := map[int64]int{}
	usersSent := -1
	for {
		// Both change channels are taken before the state is read.
		stateChanged := srv.Changed()
		version, usersChanged := p.usersChanged()
		if version != usersSent {
			if !writeEvent(w, "users", map[string]int{"version": version}) {
				return
			}
			usersSent = version
		}
		for _, u := range p.Users() {
			rev := srv.User(u.ID, u.Name).Chat().Revision()
			if last, ok := sent[u.ID]; ok && last == rev {
				continue
			}
			if !writeEvent(w, "chat", map[string]any{"user": u.ID, "rev": rev}) {
				return
			}
			sent[u.ID] = rev
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-srv.Done():
			return
		case <-stateChanged:
		case <-usersChanged:
		case <-heartbeat.C:
			// A comment line keeps proxies and the browser from
			// timing the stream out while nothing happens.
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
		}
	}
}

func writeEvent(w io.Writer, name string, data any) bool {
	b, err := json.Marshal(data)
	if err != nil {
		return false
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err == nil
}

// readJSON decodes a small JSON body. It insists on the JSON content type:
// a cross-site form cannot send it without a CORS preflight, which the page
// never answers.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "bad_request", errors.New("send application/json"))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","detail":"encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers {"error": code, "detail": ...}: the page shows its own
// sentence for the code, and the detail for developers.
func writeError(w http.ResponseWriter, status int, code string, err error) {
	writeJSON(w, status, map[string]string{"error": code, "detail": err.Error()})
}
