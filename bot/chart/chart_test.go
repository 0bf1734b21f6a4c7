package chart

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-text/typesetting/di"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.png from the current renderer")

// ---------------------------------------------------------------------------
// helpers

func whiteCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// inkMask marks pixels darker than mid-grey (text is drawn black on white).
func inkMask(img *image.RGBA) [][]bool {
	b := img.Bounds()
	m := make([][]bool, b.Dy())
	for y := range m {
		m[y] = make([]bool, b.Dx())
		for x := range m[y] {
			c := img.RGBAAt(b.Min.X+x, b.Min.Y+y)
			m[y][x] = (int(c.R)+int(c.G)+int(c.B))/3 < 128
		}
	}
	return m
}

// components counts 8-connected groups of ink pixels.
func components(m [][]bool) int {
	h := len(m)
	if h == 0 {
		return 0
	}
	w := len(m[0])
	seen := make([][]bool, h)
	for y := range seen {
		seen[y] = make([]bool, w)
	}
	n := 0
	var stack []image.Point
	for y := range h {
		for x := range w {
			if !m[y][x] || seen[y][x] {
				continue
			}
			n++
			seen[y][x] = true
			stack = append(stack[:0], image.Pt(x, y))
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						q := image.Pt(p.X+dx, p.Y+dy)
						if q.X < 0 || q.Y < 0 || q.X >= w || q.Y >= h || !m[q.Y][q.X] || seen[q.Y][q.X] {
							continue
						}
						seen[q.Y][q.X] = true
						stack = append(stack, q)
					}
				}
			}
		}
	}
	return n
}

// inkBounds returns the bounding box of the ink and, for each column, the
// topmost ink row (-1 for none).
func inkBounds(m [][]bool) (r image.Rectangle, top []int) {
	w := len(m[0])
	top = make([]int, w)
	for x := range top {
		top[x] = -1
	}
	first := true
	for y := range m {
		for x := range m[y] {
			if !m[y][x] {
				continue
			}
			if top[x] < 0 {
				top[x] = y
			}
			p := image.Rect(x, y, x+1, y+1)
			if first {
				r, first = p, false
			} else {
				r = r.Union(p)
			}
		}
	}
	return r, top
}

const (
	testSize     = 48 // px: large enough that dots and joins are unambiguous
	testBaseline = 70
)

// drawShaped draws s through the production path (DrawText).
func drawShaped(t *testing.T, s string) *image.RGBA {
	t.Helper()
	img := whiteCanvas(600, 100)
	if _, err := DrawText(img, s, testSize, color.Black, 580, testBaseline); err != nil {
		t.Fatal(err)
	}
	return img
}

// drawIsolated draws every letter of s on its own, right to left with a
// small gap, which is exactly what a renderer without shaping produces:
// each letter in its isolated form, nothing joined.
func drawIsolated(t *testing.T, s string) *image.RGBA {
	t.Helper()
	img := whiteCanvas(600, 100)
	right := 580
	for _, r := range s {
		w, err := DrawText(img, string(r), testSize, color.Black, right, testBaseline)
		if err != nil {
			t.Fatal(err)
		}
		right -= w + 4
	}
	return img
}

// ---------------------------------------------------------------------------
// 1. joining

// TestJoining fails if Persian letters come out unjoined. "سلام" joined is
// two pieces of ink ("سلا" and "م"; alef never joins to its left), "محمد"
// is one; drawn letter by letter they are four each. The same check would
// work for dotted words, but the dot count makes the numbers less obvious.
func TestJoining(t *testing.T) {
	for _, word := range []string{"سلام", "محمد"} {
		joined := components(inkMask(drawShaped(t, word)))
		isolated := components(inkMask(drawIsolated(t, word)))
		t.Logf("%s: joined=%d isolated=%d components", word, joined, isolated)
		if isolated < 4 {
			t.Fatalf("%s: reference rendering of isolated letters has only %d components; helper broken?", word, isolated)
		}
		if joined > isolated-2 {
			t.Errorf("%s: shaped text has %d ink components vs %d for isolated letters: letters are not joined", word, joined, isolated)
		}
	}
}

// TestContextualGlyphs checks the shaper picked contextual forms: in "سلام"
// the lam is medial and the seen initial, so their glyph IDs must differ
// from both the cmap (nominal) glyph and the glyph of the letter shaped
// alone.
func TestContextualGlyphs(t *testing.T) {
	r, err := getRenderer()
	if err != nil {
		t.Fatal(err)
	}
	defer putRenderer(r)

	word := []rune("سلام")
	l := r.layoutRunes(word, testSize)
	if len(l.runs) != 1 {
		t.Fatalf("want 1 run, got %d", len(l.runs))
	}
	for _, idx := range []int{0, 1} { // seen (initial), lam (medial)
		ch := word[idx]
		nominal, ok := r.face.NominalGlyph(ch)
		if !ok {
			t.Fatalf("font lacks %q", ch)
		}
		alone := r.layout(string(ch), testSize).runs[0].Glyphs[0].GlyphID
		var shaped []uint32
		for _, g := range l.runs[0].Glyphs {
			if g.ClusterIndex == idx {
				shaped = append(shaped, uint32(g.GlyphID))
			}
		}
		if len(shaped) == 0 {
			t.Fatalf("no glyph for rune %d", idx)
		}
		for _, gid := range shaped {
			if gid == uint32(nominal) || gid == uint32(alone) {
				t.Errorf("rune %d %q: shaped glyph %d equals the isolated glyph (nominal %d, alone %d): no contextual form", idx, ch, gid, nominal, alone)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 2. direction

// TestRightToLeftInk renders lam followed by ten tatweels (kashida). The lam
// is the only tall shape; the tatweels are a low horizontal stroke. In
// correct right-to-left output the lam, the FIRST logical character, sits at
// the RIGHT end of the ink. A left-to-right regression (wrong direction
// given to the shaper, or glyphs drawn in reverse order) puts it on the left.
// This does not depend on joining, so it isolates the direction bug.
func TestRightToLeftInk(t *testing.T) {
	img := drawShaped(t, "ل"+"ــــــــــ")
	m := inkMask(img)
	box, top := inkBounds(m)
	if box.Dx() < 5*testSize/2 {
		t.Fatalf("ink only %d px wide; tatweels missing?", box.Dx())
	}
	// "tall" = ink reaching the upper half of the ink box.
	tallLimit := box.Min.Y + box.Dy()/2
	sumX, n := 0, 0
	for x, y := range top {
		if y >= 0 && y < tallLimit {
			sumX += x
			n++
		}
	}
	if n == 0 {
		t.Fatal("no tall ink found")
	}
	centre := float64(sumX) / float64(n)
	rel := (centre - float64(box.Min.X)) / float64(box.Dx()) // 0 = left, 1 = right
	t.Logf("tall ink centre at %.2f of the ink width", rel)
	if rel < 0.75 {
		t.Errorf("first letter (lam) drawn at %.2f of the width from the left; want it at the right end (> 0.75): text is not right-to-left", rel)
	}
}

// TestBidiOrder checks glyph order for mixed text: in "سازمان 12" the
// Persian run is right to left (its leftmost glyph is the last letter) and
// the digits are a left-to-right run placed on the left, "1" before "2".
func TestBidiOrder(t *testing.T) {
	r, err := getRenderer()
	if err != nil {
		t.Fatal(err)
	}
	defer putRenderer(r)

	text := []rune("سازمان 12")
	l := r.layoutRunes(text, 16)
	if len(l.runs) < 2 {
		t.Fatalf("want a Persian and a digit run, got %d runs", len(l.runs))
	}
	left, right := l.runs[0], l.runs[len(l.runs)-1]
	if left.Direction.Progression() != di.FromTopLeft {
		t.Errorf("leftmost run should be the LTR digits, got direction %v", left.Direction)
	}
	one, _ := r.face.NominalGlyph('1')
	two, _ := r.face.NominalGlyph('2')
	var digits []uint32
	for _, g := range left.Glyphs {
		if g.GlyphID == one || g.GlyphID == two {
			digits = append(digits, uint32(g.GlyphID))
		}
	}
	if len(digits) != 2 || digits[0] != uint32(one) || digits[1] != uint32(two) {
		t.Errorf("digits drawn as %v, want [%d %d] (\"12\", left to right)", digits, one, two)
	}
	if right.Direction.Progression() != di.TowardTopLeft {
		t.Errorf("rightmost run should be RTL Persian, got %v", right.Direction)
	}
	g := right.Glyphs
	if first, last := g[0].ClusterIndex, g[len(g)-1].ClusterIndex; first <= last {
		t.Errorf("Persian run: leftmost glyph is rune %d, rightmost rune %d; want the rightmost to be the first letter", first, last)
	}
	if g[len(g)-1].ClusterIndex != 0 {
		t.Errorf("rightmost glyph of the Persian run is rune %d, want 0 (the first letter)", g[len(g)-1].ClusterIndex)
	}
}

// TestEllipsis checks shortening: the result fits and ends (logically, so
// visually on the left) with "…", and short labels are left alone.
func TestEllipsis(t *testing.T) {
	r, err := getRenderer()
	if err != nil {
		t.Fatal(err)
	}
	defer putRenderer(r)

	long := "اداره کل آموزش فنی و حرفه‌ای استان تهران و البرز"
	l := r.layoutFit(long, 15, 150)
	if l.widthPx() > 150 {
		t.Errorf("shortened label is %d px, limit 150", l.widthPx())
	}
	dots, ok := r.face.NominalGlyph('…')
	if !ok {
		t.Fatal("font lacks …")
	}
	leftmost := l.runs[0].Glyphs[0].GlyphID
	if leftmost != dots {
		t.Errorf("leftmost glyph %d, want the ellipsis %d", leftmost, dots)
	}
	if full := r.layout(long, 15); l.width >= full.width {
		t.Error("label not shortened")
	}
	short := r.layoutFit("سازمان", 15, 150)
	for _, run := range short.runs {
		for _, g := range run.Glyphs {
			if g.GlyphID == dots {
				t.Error("short label got an ellipsis")
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 3. golden image

func goldenBars() ([]Bar, Options) {
	return []Bar{
			{Label: "سازمان فنی و حرفه‌ای", Value: 123, Note: "۱۲۳٪"},
			{Label: "اداره کل تعاون، کار و رفاه اجتماعی استان تهران", Value: 76.5, Note: "۷۶٫۵٪"},
			{Label: "بنیاد مسکن 12", Value: 31, Note: "۳۱٪"},
		}, Options{
			Title:  "پیشرفت اشتغال دستگاه‌ها نسبت به هدف سالانه",
			Width:  900,
			Target: 100,
		}
}

func TestGolden(t *testing.T) {
	bars, opt := goldenBars()
	got, err := Render(bars, opt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden.png")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	wantBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	want, err := png.Decode(bytes.NewReader(wantBytes))
	if err != nil {
		t.Fatal(err)
	}
	gotImg, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != gotImg.Bounds() {
		t.Fatalf("size %v, golden %v", gotImg.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	diff := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if pixelDiff(want.At(x, y), gotImg.At(x, y)) > 32 {
				diff++
			}
		}
	}
	total := b.Dx() * b.Dy()
	frac := float64(diff) / float64(total)
	t.Logf("%d of %d pixels differ (%.3f%%)", diff, total, 100*frac)
	if frac > 0.005 {
		out := filepath.Join(t.TempDir(), "got.png")
		_ = os.WriteFile(out, got, 0o644)
		t.Errorf("%.3f%% of pixels differ from %s (limit 0.5%%); rendering written to %s; if the change is intended run go test -run TestGolden -update", 100*frac, path, out)
	}
}

// pixelDiff is the largest per-channel difference, in 8-bit levels.
func pixelDiff(a, b color.Color) int {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	d := 0
	for _, p := range [][2]uint32{{ar, br}, {ag, bg}, {ab, bb}, {aa, ba}} {
		v := int(p[0]>>8) - int(p[1]>>8)
		if v < 0 {
			v = -v
		}
		d = max(d, v)
	}
	return d
}

func TestDeterministicAndConcurrent(t *testing.T) {
	bars, opt := goldenBars()
	first, err := Render(bars, opt)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	res := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range res {
		wg.Go(func() { res[i], errs[i] = Render(bars, opt) })
	}
	wg.Wait()
	for i := range res {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(res[i], first) {
			t.Errorf("render %d differs from the first one", i)
		}
	}
}

// ---------------------------------------------------------------------------
// 4. many bars, no bars, bad input

func manyBars(n int) []Bar {
	names := []string{"سازمان فنی و حرفه‌ای", "اداره کل تعاون", "بنیاد مسکن", "کمیته امداد", "شهرداری منطقه 4", "جهاد کشاورزی"}
	bars := make([]Bar, n)
	for i := range bars {
		v := float64((i * 37) % 160)
		bars[i] = Bar{Label: names[i%len(names)], Value: v, Note: persianNumber(v) + "٪"}
	}
	return bars
}

func TestManyBars(t *testing.T) {
	const n = 200
	b, err := Render(manyBars(n), Options{Title: "همه دستگاه‌ها", Target: 100})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("200 bars: %dx%d, %d KiB", cfg.Width, cfg.Height, len(b)/1024)
	if cfg.Width != 900 || cfg.Height < n*30 || cfg.Height > n*30+200 {
		t.Errorf("size %dx%d, want 900 x ~%d", cfg.Width, cfg.Height, n*30)
	}
	if cfg.Width+cfg.Height > 10000 {
		t.Errorf("%dx%d exceeds Telegram's photo limit (w+h <= 10000)", cfg.Width, cfg.Height)
	}
	if len(b) > 2<<20 {
		t.Errorf("PNG is %d bytes, want < 2 MiB", len(b))
	}
}

func TestNoBars(t *testing.T) {
	b, err := Render(nil, Options{Title: "گزارش روزانه"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	m := inkMask(rgba)
	// ink in the title area (top right) and in the message (centre)
	var title, msg int
	for y := range m {
		for x := range m[y] {
			if !m[y][x] {
				continue
			}
			switch {
			case y < 50 && x > len(m[y])/2:
				title++
			case y >= 50:
				msg++
			}
		}
	}
	if title == 0 || msg == 0 {
		t.Errorf("empty chart: title ink %d, message ink %d; want both", title, msg)
	}
}

func TestInvalidInput(t *testing.T) {
	cases := map[string]struct {
		bars []Bar
		opt  Options
	}{
		"NaN value":    {[]Bar{{Label: "x", Value: math.NaN()}}, Options{}},
		"Inf value":    {[]Bar{{Label: "x", Value: math.Inf(1)}}, Options{}},
		"narrow":       {nil, Options{Width: 100}},
		"huge":         {nil, Options{Width: 100000}},
		"neg max":      {nil, Options{MaxValue: -1}},
		"neg target":   {nil, Options{Target: -5}},
		"too many":     {make([]Bar, MaxBars+1), Options{}},
		"NaN target":   {nil, Options{Target: math.NaN()}},
		"Inf maxvalue": {nil, Options{MaxValue: math.Inf(1)}},
	}
	for name, c := range cases {
		if _, err := Render(c.bars, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestScale(t *testing.T) {
	cases := []struct {
		max, target, explicit float64
		wantMax, wantStep     float64
	}{
		{50, 0, 0, 100, 20},
		{123, 100, 0, 125, 25},
		{100, 100, 0, 100, 20},
		{340, 0, 0, 400, 100},
		{10, 0, 200, 200, 50},
	}
	for _, c := range cases {
		gotMax, gotStep := scale([]Bar{{Value: c.max}}, Options{Target: c.target, MaxValue: c.explicit})
		if gotMax != c.wantMax || gotStep != c.wantStep {
			t.Errorf("scale(%v, target %v, max %v) = %v, %v; want %v, %v", c.max, c.target, c.explicit, gotMax, gotStep, c.wantMax, c.wantStep)
		}
	}
	if got := persianNumber(12.5); got != "۱۲٫۵" {
		t.Errorf("persianNumber(12.5) = %q", got)
	}
}

func BenchmarkRender200(b *testing.B) {
	bars := manyBars(200)
	opt := Options{Title: "همه دستگاه‌ها", Target: 100}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(bars, opt); err != nil {
			b.Fatal(err)
		}
	}
}
