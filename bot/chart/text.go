package chart

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/segmenter"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Vazirmatn Regular 33.0.3 (SIL Open Font License 1.1, see fonts/OFL.txt),
// taken from the npm package vazirmatn@33.0.3, file fonts/ttf/Vazirmatn-Regular.ttf.
//
//go:embed fonts/Vazirmatn-Regular.ttf
var vazirmatnTTF []byte

// Font is the embedded Vazirmatn Regular TrueType file, shared so the
// browser playground shows the same Persian face without a second copy. It
// must not be modified.
func Font() []byte { return vazirmatnTTF }

// parsedFont is parsed once. A *font.Font is read-only and safe for concurrent
// use; the *font.Face wrapping it (which holds caches) is not, so every
// textRenderer gets its own Face.
var parsedFont = sync.OnceValues(func() (*font.Font, error) {
	ld, err := ot.NewLoader(bytes.NewReader(vazirmatnTTF))
	if err != nil {
		return nil, fmt.Errorf("chart: loading embedded font: %w", err)
	}
	f, err := font.NewFont(ld)
	if err != nil {
		return nil, fmt.Errorf("chart: parsing embedded font: %w", err)
	}
	return f, nil
})

// persian is the language tag given to the shaper (it selects the Persian
// OpenType language system where the font has one, e.g. Persian digit forms).
var persian = language.NewLanguage("fa")

const ellipsis = "…"

// textRenderer bundles the non-thread-safe shaping state. Instances are
// recycled through rendererPool, so Render and DrawText are safe to call from
// several goroutines.
type textRenderer struct {
	face   *font.Face
	shaper shaping.HarfbuzzShaper
	seg    shaping.Segmenter
	graph  segmenter.Segmenter
	raster vector.Rasterizer
}

var rendererPool = sync.Pool{New: func() any {
	f, err := parsedFont()
	if err != nil {
		return err
	}
	return &textRenderer{face: font.NewFace(f)}
}}

func getRenderer() (*textRenderer, error) {
	switch v := rendererPool.Get().(type) {
	case *textRenderer:
		return v, nil
	case error:
		return nil, v
	default:
		panic("chart: unexpected pool value")
	}
}

func putRenderer(r *textRenderer) { rendererPool.Put(r) }

// singleFace is a shaping.Fontmap that always answers with the one face we
// embed (Vazirmatn covers Persian, Arabic, Latin, digits and common symbols).
type singleFace struct{ f *font.Face }

func (s singleFace) ResolveFace(rune) *font.Face { return s.f }

// textLine is a single line of shaped text, laid out right to left.
type textLine struct {
	// runs are in VISUAL order, left to right. The glyphs inside each run
	// are also in visual (left to right) order, as produced by HarfBuzz.
	runs    []shaping.Output
	width   fixed.Int26_6 // total advance
	ascent  fixed.Int26_6 // positive, above the baseline
	descent fixed.Int26_6 // positive, below the baseline
	size    int           // pixel size the text was shaped at
}

// widthPx returns the advance of the line rounded up to whole pixels.
func (l textLine) widthPx() int { return l.width.Ceil() }

// layout shapes text as one line of a right-to-left paragraph. The text is
// split by the Unicode bidi algorithm and by script (shaping.Segmenter), so
// "سازمان 12" keeps "12" left to right while the Persian runs are shaped
// right to left with Arabic joining. size is in pixels.
func (r *textRenderer) layout(text string, size int) textLine {
	return r.layoutRunes([]rune(text), size)
}

func (r *textRenderer) layoutRunes(text []rune, size int) textLine {
	l := textLine{size: size}
	if len(text) == 0 {
		return l
	}
	in := shaping.Input{
		Text:      text,
		RunStart:  0,
		RunEnd:    len(text),
		Direction: di.DirectionRTL, // paragraph direction; runs get their own
		Face:      r.face,
		Size:      fixed.I(size),
		Script:    language.Arabic,
		Language:  persian,
	}
	inputs := r.seg.Split(in, singleFace{r.face})
	logical := make([]shaping.Output, len(inputs))
	for i, run := range inputs {
		logical[i] = r.shaper.Shape(run)
	}
	l.runs = visualOrder(logical)
	for _, o := range l.runs {
		l.width += o.Advance
		l.ascent = max(l.ascent, o.LineBounds.Ascent)
		l.descent = max(l.descent, -o.LineBounds.Descent)
	}
	return l
}

// visualOrder turns runs from logical order into visual left-to-right order
// for a right-to-left paragraph (rule L2 of UAX #9). Without explicit
// embedding controls a RTL paragraph only has level 1 (RTL) and level 2 (LTR:
// digits, Latin) runs: reversing everything and then restoring the logical
// order inside each maximal block of LTR runs is exactly L2 for two levels.
func visualOrder(logical []shaping.Output) []shaping.Output {
	n := len(logical)
	out := make([]shaping.Output, n)
	for i, o := range logical {
		out[n-1-i] = o
	}
	for i := 0; i < n; {
		if out[i].Direction.Progression() != di.FromTopLeft {
			i++
			continue
		}
		j := i
		for j < n && out[j].Direction.Progression() == di.FromTopLeft {
			j++
		}
		for a, b := i, j-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
		i = j
	}
	for i := range out {
		out[i].VisualIndex = int32(i)
	}
	return out
}

// layoutFit shapes text and, if it is wider than maxWidth pixels, shortens
// it at a grapheme boundary and appends "…". The shortened text is shaped
// again as a whole, so the last kept letter takes its proper (final) form and
// the ellipsis lands at the logical end, i.e. on the left of a Persian label.
func (r *textRenderer) layoutFit(text string, size, maxWidth int) textLine {
	full := r.layout(text, size)
	limit := fixed.I(maxWidth)
	if full.width <= limit {
		return full
	}
	runes := []rune(text)
	// candidate cut points: grapheme boundaries (never inside a cluster
	// such as a letter plus its harakat).
	r.graph.Init(runes)
	var cuts []int
	it := r.graph.GraphemeIterator()
	for it.Next() {
		g := it.Grapheme()
		if g.Offset > 0 {
			cuts = append(cuts, g.Offset)
		}
	}
	try := func(n int) textLine {
		head := strings.TrimRightFunc(string(runes[:n]), func(c rune) bool {
			return unicode.IsSpace(c) || c == '\u200c' || c == '\u200d' || unicode.Is(unicode.Bidi_Control, c)
		})
		return r.layout(head+ellipsis, size)
	}
	// Binary search the longest prefix that fits. Width is monotonic in the
	// prefix length up to kerning noise, which is fine for a label.
	longest := func(cuts []int) (textLine, bool) {
		var best textLine
		found := false
		lo, hi := 0, len(cuts)-1
		for lo <= hi {
			mid := (lo + hi) / 2
			if l := try(cuts[mid]); l.width <= limit {
				best, found = l, true
				lo = mid + 1
			} else {
				hi = mid - 1
			}
		}
		return best, found
	}
	// Whole words first («سازمان صنعت، معدن…», not «…استان تهر…»); a
	// first word too long for the room is cut where it must be.
	var words []int
	for _, n := range cuts {
		if unicode.IsSpace(runes[n]) {
			words = append(words, n)
		}
	}
	if l, ok := longest(words); ok {
		return l
	}
	if l, ok := longest(cuts); ok {
		return l
	}
	return r.layout(ellipsis, size)
}

// draw rasterizes the line with its left edge at x and its baseline at y
// (pixels, y down) in colour c.
func (r *textRenderer) draw(dst *image.RGBA, l textLine, x, y float64, c color.Color) {
	if len(l.runs) == 0 {
		return
	}
	// Clip to the destination. The margin covers glyphs that overhang
	// their advance (swashes, the ellipsis of italic fonts, marks).
	margin := float64(l.size)
	box := image.Rect(
		int(math.Floor(x-margin)),
		int(math.Floor(y-float64(l.ascent.Ceil())-margin/2)),
		int(math.Ceil(x+float64(l.width.Ceil())+margin)),
		int(math.Ceil(y+float64(l.descent.Ceil())+margin/2)),
	).Intersect(dst.Bounds())
	if box.Empty() {
		return
	}
	z := &r.raster
	z.Reset(box.Dx(), box.Dy())
	ox, oy := x-float64(box.Min.X), y-float64(box.Min.Y)

	pen := ox
	for _, run := range l.runs {
		// Font units -> pixels. The shaper scales by the integer ceiling
		// of Size, so do the same to keep outlines and advances in step.
		scale := float64(run.Size.Ceil()) / float64(run.Face.Upem())
		for _, g := range run.Glyphs {
			gx := pen + fixedToFloat(g.XOffset)
			gy := oy - fixedToFloat(g.YOffset)
			if outline, ok := run.Face.GlyphDataOutline(g.GlyphID); ok {
				addOutline(z, outline, gx, gy, scale)
			}
			pen += fixedToFloat(g.Advance)
		}
	}
	z.Draw(dst, box, image.NewUniform(c), image.Point{})
}

func fixedToFloat(v fixed.Int26_6) float64 { return float64(v) / 64 }

// addOutline appends a glyph outline (font units, y up) to the rasterizer
// (pixels, y down) with the glyph origin at (ox, oy).
func addOutline(z *vector.Rasterizer, o font.GlyphOutline, ox, oy, scale float64) {
	px := func(p ot.SegmentPoint) (float32, float32) {
		return float32(ox + float64(p.X)*scale), float32(oy - float64(p.Y)*scale)
	}
	open := false
	for _, s := range o.Segments {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if open {
				z.ClosePath()
			}
			z.MoveTo(px(s.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			z.LineTo(px(s.Args[0]))
		case ot.SegmentOpQuadTo:
			bx, by := px(s.Args[0])
			cx, cy := px(s.Args[1])
			z.QuadTo(bx, by, cx, cy)
		case ot.SegmentOpCubeTo:
			bx, by := px(s.Args[0])
			cx, cy := px(s.Args[1])
			dx, dy := px(s.Args[2])
			z.CubeTo(bx, by, cx, cy, dx, dy)
		}
	}
	if open {
		z.ClosePath()
	}
}

// DrawText draws text into dst as one line of a right-to-left (Persian)
// paragraph: bidi-segmented, shaped with HarfBuzz (so Arabic-script letters
// join in their contextual forms) and rasterized from the font outlines.
// size is the font size in pixels; the right edge of the text is at x=right
// and its baseline at y=baseline. It returns the advance width in pixels.
//
// It exists mainly so tests can check shaping on a bare image.
func DrawText(dst *image.RGBA, text string, size int, c color.Color, right, baseline int) (int, error) {
	r, err := getRenderer()
	if err != nil {
		return 0, err
	}
	defer putRenderer(r)
	l := r.layout(text, size)
	r.draw(dst, l, float64(right-l.widthPx()), float64(baseline), c)
	return l.widthPx(), nil
}
