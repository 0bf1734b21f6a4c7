package bot

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Location and photo steps, driven through a small flow of a field visit:
// a note typed, where the visit was (shared from the phone), a photo.

const visitFlow = "fieldtrip"

// visitChat is a chat whose bot has the visit flow, started by /visit.
type visitChat struct {
	*chat
	mu    sync.Mutex
	saved []map[string]string // the answers of each submit
}

// newVisitChat adds the visit flow to a test bot; optionalPhoto gives its
// photo step the "no photo" shortcut.
func newVisitChat(t *testing.T, optionalPhoto bool) *visitChat {
	t.Helper()
	vc := &visitChat{chat: newChat(t)}
	b := vc.bot
	photo := Step{Field: "photo", Input: InputPhoto}
	if optionalPhoto {
		photo.Shortcuts = []Shortcut{skipShortcut("btn.no_photo")}
	}
	f := &Flow{
		Name: visitFlow,
		Steps: []Step{
			{Field: "note", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) { return domain.Normalize(s), nil }},
			{Field: "where", Input: InputLocation, Parse: func(_ *Ctx, v string) (string, error) {
				// Within Iran only, to see that Parse gets the kept value.
				lat, lon, err := parseLocation(v)
				if err != nil || lat < 25 || lat > 40 || lon < 44 || lon > 64 {
					return "", domain.Invalid("location.range")
				}
				return v, nil
			}},
			photo,
		},
		Submit: func(_ *Ctx, s *Session) error {
			vc.mu.Lock()
			defer vc.mu.Unlock()
			vc.saved = append(vc.saved, s.Answers)
			return nil
		},
	}
	b.flows[f.Name] = f
	b.flowList = append(b.flowList, f)
	b.commands = append(b.commands, command{Name: visitFlow, Run: func(c *Ctx, _ string) error { return b.startFlow(c, visitFlow, nil) }})
	// The flow's own texts; the engine's are in the catalogue.
	for _, lang := range Languages {
		for k, v := range map[string]string{
			"fieldtrip.note.prompt": "Write what you found.", "fieldtrip.note.label": "Outcome",
			"fieldtrip.where.prompt": "Share where you are.", "fieldtrip.where.label": "Where",
			"fieldtrip.photo.prompt": "Send a photo of the workplace.", "fieldtrip.photo.label": "Photo",
			"fieldtrip.review": "Check the visit:",
		} {
			b.cat.texts[lang][k] = v
		}
	}
	return vc
}

// atWhere starts the flow and answers the note: the location is asked.
func (vc *visitChat) atWhere() sentMessage {
	vc.t.Helper()
	vc.send("/" + visitFlow)
	vc.expectStep("note")
	vc.send("کارگاه  فعال است")
	return vc.expectStep("where")
}

// atPhoto goes on to the photo step, sharing a location from Tehran.
func (vc *visitChat) atPhoto() sentMessage {
	vc.t.Helper()
	vc.atWhere()
	vc.sendMessage(transport.Message{Location: &transport.Location{Latitude: 35.689197, Longitude: 51.388974}})
	return vc.expectStep("photo")
}

// expectStep fails unless the last message asks for field ("review": is
// the review), and returns it.
func (vc *visitChat) expectStep(field string) sentMessage {
	vc.t.Helper()
	want := visitFlow + ".review"
	if field != "review" {
		want = visitFlow + "." + field + ".prompt"
	}
	want = vc.T(want)
	if m := vc.last(); !strings.Contains(m.Text, want) {
		vc.t.Fatalf("the bot's last message:\n%s\nwant it to ask %q", m.Text, want)
	}
	return vc.last()
}

// expectLead fails unless the last message begins with lead.
func (vc *visitChat) expectLead(lead string) {
	vc.t.Helper()
	if m := vc.last(); !strings.HasPrefix(m.Text, lead) {
		vc.t.Fatalf("the bot's last message:\n%s\nwant it to begin with %q", m.Text, lead)
	}
}

// sendMessage sends m (a location, a photo) as the chat's user.
func (vc *visitChat) sendMessage(m transport.Message) {
	vc.t.Helper()
	vc.update++
	m.MessageID, m.From, m.Chat = 100000+vc.update, &vc.from, vc.privateChat()
	vc.must(vc.deliver(transport.Update{UpdateID: vc.update, Message: &m}))
}

// The location step shows a reply keyboard: share my location, then back
// and cancel, as the buttons they type.
func TestLocationStepKeyboard(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	m := vc.atWhere()
	kb, ok := m.Markup.(transport.ReplyKeyboard)
	if !ok {
		t.Fatalf("the location step's keyboard is %T, want a reply keyboard", m.Markup)
	}
	want := [][]transport.ReplyButton{
		{{Text: vc.T("btn.share_location"), RequestLocation: true}},
		{{Text: vc.T("btn.back")}, {Text: vc.T("btn.cancel")}},
	}
	if !kb.Resize || !slices.EqualFunc(kb.Rows, want, slices.Equal) {
		t.Errorf("keyboard %+v\nwant %+v", kb, want)
	}
}

// A location shared with the button is kept as "lat,lon" with six
// decimals; the share-location keyboard is taken away before the photo
// step's inline buttons.
func TestLocationSharedWithTheButton(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	vc.atWhere()
	sent := len(vc.api.sent())
	vc.sendMessage(transport.Message{Location: &transport.Location{Latitude: 35.71529812, Longitude: 51.4043}})
	if got := vc.session().Answers["where"]; got != "35.715298,51.404300" {
		t.Errorf("kept %q, want 35.715298,51.404300", got)
	}
	msgs := vc.api.sent()[sent:]
	if len(msgs) != 2 || msgs[0].Text != vc.T("location.received") || msgs[0].Markup != (transport.RemoveKeyboard{}) {
		t.Fatalf("after the location the bot sent %+v, want %q removing the keyboard, then the photo step", msgs, vc.T("location.received"))
	}
	photo := vc.expectStep("photo")
	var labels []string
	for _, b := range photo.buttons() {
		labels = append(labels, b.Text)
	}
	if want := []string{vc.T("btn.no_photo"), vc.T("btn.back"), vc.T("btn.cancel")}; !slices.Equal(labels, want) {
		t.Errorf("the photo step's buttons %q, want %q", labels, want)
	}
}

// Anything but the user's own location is refused with a sentence saying
// what to do, and the same step again, its keyboard with it.
func TestLocationRefused(t *testing.T) {
	t.Parallel()
	tehran := &transport.Location{Latitude: 35.7, Longitude: 51.4}
	for _, tc := range []struct {
		name string
		m    transport.Message
		lead string
	}{
		{"typed text", transport.Message{Text: "خیابان آزادی، پلاک ۱۲"}, "input.want_location_button"},
		{"a photo", transport.Message{Photo: []transport.PhotoSize{{FileID: "p", Width: 90, Height: 90}}}, "input.want_location"},
		{"a venue", transport.Message{Location: tehran, Venue: &transport.Venue{Location: *tehran, Title: "کافه"}}, "input.want_own_location"},
		{"forwarded", transport.Message{Location: tehran, ForwardOrigin: &transport.MessageOrigin{Type: "user", Date: 1}}, "input.want_own_location"},
		{"forwarded, older API", transport.Message{Location: tehran, ForwardDate: 1}, "input.want_own_location"},
		{"off the earth", transport.Message{Location: &transport.Location{Latitude: 95, Longitude: 51.4}}, "err.location.range"},
		{"no fix", transport.Message{Location: &transport.Location{}}, "err.location.range"},
		{"NaN", transport.Message{Location: &transport.Location{Latitude: math.NaN(), Longitude: 51.4}}, "err.location.range"},
		{"refused by the step", transport.Message{Location: &transport.Location{Latitude: -33.86882, Longitude: 151.209296}}, "err.location.range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vc := newVisitChat(t, true)
			vc.atWhere()
			vc.sendMessage(tc.m)
			vc.expectLead(vc.T(tc.lead))
			vc.expectStep("where")
			if _, ok := vc.last().Markup.(transport.ReplyKeyboard); !ok {
				t.Errorf("the step asked again without its keyboard: %T", vc.last().Markup)
			}
			if _, ok := vc.session().Answers["where"]; ok {
				t.Errorf("kept %q", vc.session().Answers["where"])
			}
		})
	}
}

// A photo is kept as its largest size's file_id; the review says it is
// attached, and shows the location in the reader's digits with a map link.
func TestPhotoAccepted(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	vc.atPhoto()
	vc.sendMessage(transport.Message{Caption: "نمای بیرون", Photo: []transport.PhotoSize{
		{FileID: "small", Width: 90, Height: 67},
		{FileID: "large", Width: 1280, Height: 960},
		{FileID: "medium", Width: 320, Height: 240},
	}})
	review := vc.expectStep("review")
	if got := vc.session().Answers["photo"]; got != "large" {
		t.Errorf("kept %q, want the largest size's file_id", got)
	}
	for _, want := range []string{
		"▪️ Photo: " + vc.T("value.photo"),
		"▪️ Where: " + vc.T("value.location", "lat", "۳۵٫۶۸۹۱۹۷", "lon", "۵۱٫۳۸۸۹۷۴",
			"map", "https://www.openstreetmap.org/?mlat=35.689197&mlon=51.388974#map=17/35.689197/51.388974"),
		"▪️ Outcome: کارگاه فعال است",
	} {
		if !strings.Contains(review.Text, want) {
			t.Errorf("the review lacks %q:\n%s", want, review.Text)
		}
	}
	vc.press(vc.T("btn.confirm"))
	if len(vc.saved) != 1 || vc.saved[0]["where"] != "35.689197,51.388974" || vc.saved[0]["photo"] != "large" {
		t.Errorf("saved %v", vc.saved)
	}
}

// An optional photo is skipped with its button: kept empty, "no photo" in
// the review.
func TestPhotoSkipped(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	vc.atPhoto()
	vc.press(vc.T("btn.no_photo"))
	review := vc.expectStep("review")
	if got, ok := vc.session().Answers["photo"]; !ok || got != "" {
		t.Errorf("kept %q (answered: %v), want an empty answer", got, ok)
	}
	if want := "▪️ Photo: " + vc.T("value.no_photo"); !strings.Contains(review.Text, want) {
		t.Errorf("the review lacks %q:\n%s", want, review.Text)
	}
	vc.press(vc.T("btn.confirm"))
	if len(vc.saved) != 1 || vc.saved[0]["photo"] != "" {
		t.Errorf("saved %v", vc.saved)
	}
}

// Text (or a file) instead of a photo asks for a photo, naming the skip
// button where there is one.
func TestPhotoStepRefusesText(t *testing.T) {
	t.Parallel()
	for _, optional := range []bool{true, false} {
		vc := newVisitChat(t, optional)
		vc.atPhoto()
		want := vc.T("input.want_photo")
		if optional {
			want = vc.T("input.want_photo_or", "button", vc.T("btn.no_photo"))
		}
		for _, m := range []transport.Message{
			{Text: "عکس ندارم"},
			{Document: &transport.Document{FileID: "d", FileName: "IMG_0001.jpg"}},
		} {
			vc.sendMessage(m)
			vc.expectLead(want)
			vc.expectStep("photo")
		}
		if _, ok := vc.session().Answers["photo"]; ok {
			t.Errorf("optional=%v: kept %q", optional, vc.session().Answers["photo"])
		}
	}
}

// Back from the location step takes its keyboard away: left there, it
// would offer to share a location at the step gone back to.
func TestBackFromTheLocationStepRemovesItsKeyboard(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	vc.atWhere()
	sent := len(vc.api.sent())
	vc.send(vc.T("btn.back")) // the reply keyboard types its label
	msgs := vc.api.sent()[sent:]
	if len(msgs) != 2 || msgs[0].Markup != (transport.RemoveKeyboard{}) {
		t.Fatalf("back sent %+v, want a message removing the keyboard, then the step before", msgs)
	}
	vc.expectStep("note")
	if _, ok := vc.last().Markup.(transport.InlineKeyboard); !ok {
		t.Errorf("the step gone back to has %T", vc.last().Markup)
	}
}

// A location edited from the review is asked with its keyboard again and,
// shared, leads back to the review without the keyboard.
func TestLocationEditedFromTheReview(t *testing.T) {
	t.Parallel()
	vc := newVisitChat(t, true)
	vc.atPhoto()
	vc.press(vc.T("btn.no_photo"))
	vc.expectStep("review")
	vc.press(vc.T("btn.edit", "field", "Where"))
	vc.expectStep("where")
	sent := len(vc.api.sent())
	vc.sendMessage(transport.Message{Location: &transport.Location{Latitude: 35.8, Longitude: 51.5}})
	if msgs := vc.api.sent()[sent:]; len(msgs) != 2 || msgs[0].Markup != (transport.RemoveKeyboard{}) {
		t.Fatalf("after the location the bot sent %+v", msgs)
	}
	vc.expectStep("review")
	if got := vc.session().Answers["where"]; got != "35.800000,51.500000" {
		t.Errorf("kept %q", got)
	}
}

func TestLocationValueRoundTrip(t *testing.T) {
	t.Parallel()
	for _, loc := range []transport.Location{{Latitude: 35.689197, Longitude: 51.388974}, {Latitude: -90, Longitude: 180}, {Latitude: 0, Longitude: -0.5}} {
		v, err := locationValue(loc)
		if err != nil {
			t.Fatalf("%+v: %v", loc, err)
		}
		lat, lon, err := parseLocation(v)
		if err != nil || lat != loc.Latitude || lon != loc.Longitude {
			t.Errorf("%+v kept as %q, read back as %v, %v (%v)", loc, v, lat, lon, err)
		}
	}
	for _, bad := range []string{"", "35.7", "a,b", "35.7;51.4"} {
		if _, _, err := parseLocation(bad); err == nil {
			t.Errorf("parseLocation(%q) succeeded", bad)
		}
	}
}
