// Package chart draws the daily progress chart sent to managers: a
// horizontal bar chart laid out right to left, with Persian text shaped by
// HarfBuzz (github.com/go-text/typesetting) so letters join in their
// contextual forms, and rasterized from the embedded Vazirmatn font.
//
// Rendering is pure Go, needs no system fonts and is deterministic: the same
// input gives the same PNG bytes (on a given architecture; the rasterizer
// has SIMD and generic code paths that may differ in the last bit of
// anti-aliasing).
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"strings"
)

// Bar is one agency's row.
type Bar struct {
	// Label is the (Persian) agency name, drawn right-aligned in the label
	// column; if too long it is shortened with "…".
	Label string
	// Value is the bar length, e.g. the percent of the yearly target
	// reached. Negative values draw as an empty bar; values above the
	// scale are clipped at the chart edge (the Note still tells the truth).
	Value float64
	// Note is drawn just beyond the bar's end, e.g. "۱۲۳٪". It is used as
	// given; nothing is drawn when it is empty.
	Note string
}

// Options controls the chart.
type Options struct {
	// Title is drawn at the top right. Empty means no title.
	Title string
	// Width of the image in pixels; 0 means 900. Must be in [300, 4000].
	// Text sizes scale with it (15 px labels at 900).
	Width int
	// MaxValue is the value at the far (left) end of the scale. 0 means
	// automatic: the largest of 100, the largest value and Target, rounded
	// up to a tick.
	MaxValue float64
	// Target draws a labelled dashed vertical line at this value (e.g. 100
	// for "target reached"). 0 means no line. Bars are coloured against it:
	// below half the target red, below the target amber, otherwise green.
	// Without a target the thresholds are 50 and 100.
	Target float64
	// Phone lays the chart out for a chat bubble on a phone, where the
	// image is shown about 300 px wide: each label on a line of its own
	// above its bar, across the whole width, and text sized to the width
	// (a label is 1/18 of it) so it reads as large as the chat's own text.
	Phone bool
}

// MaxBars is the largest number of bars Render accepts; the image grows by
// one row (30 px at width 900) per bar.
//
// Note that Telegram's sendPhoto wants width+height <= 10000, which at width
// 900 is about 290 bars; send larger charts as a document.
const MaxBars = 1000

const defaultWidth = 900

// Persian UI strings.
const (
	targetText = "هدف"
	noDataText = "داده‌ای برای نمایش وجود ندارد"
)

var (
	colBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colStripe     = color.RGBA{0xf5, 0xf6, 0xf8, 0xff}
	colGrid       = color.RGBA{0xdd, 0xdf, 0xe3, 0xff}
	colAxis       = color.RGBA{0x8a, 0x8f, 0x98, 0xff}
	colTitle      = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	colLabel      = color.RGBA{0x22, 0x22, 0x22, 0xff}
	colNote       = color.RGBA{0x33, 0x33, 0x33, 0xff}
	colTick       = color.RGBA{0x5a, 0x5f, 0x66, 0xff}
	colMuted      = color.RGBA{0x77, 0x77, 0x77, 0xff}
	colTarget     = color.RGBA{0x1f, 0x3f, 0x77, 0xff}
	colLow        = color.RGBA{0xd0, 0x48, 0x3f, 0xff} // < 50% of target
	colMid        = color.RGBA{0xe8, 0xa3, 0x3d, 0xff} // < 100%
	colHigh       = color.RGBA{0x4e, 0x9f, 0x55, 0xff} // >= 100%
)

// Render draws a horizontal bar chart, right to left: labels on the right,
// bars growing leftwards from the label column, the title at the top right,
// a light grid with Persian-digit ticks at the bottom. The height follows
// the number of bars. With no bars it draws the title and a "no data"
// message. It returns PNG bytes.
func Render(bars []Bar, opt Options) ([]byte, error) {
	img, err := renderImage(bars, opt)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("chart: encoding png: %w", err)
	}
	return buf.Bytes(), nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func validate(bars []Bar, opt *Options) error {
	if opt.Width == 0 {
		opt.Width = defaultWidth
	}
	if opt.Width < 300 || opt.Width > 4000 {
		return fmt.Errorf("chart: width %d out of range [300, 4000]", opt.Width)
	}
	if len(bars) > MaxBars {
		return fmt.Errorf("chart: %d bars, at most %d allowed", len(bars), MaxBars)
	}
	if !finite(opt.MaxValue) || opt.MaxValue < 0 {
		return fmt.Errorf("chart: invalid MaxValue %v", opt.MaxValue)
	}
	if !finite(opt.Target) || opt.Target < 0 {
		return fmt.Errorf("chart: invalid Target %v", opt.Target)
	}
	for i, b := range bars {
		if !finite(b.Value) {
			return fmt.Errorf("chart: bar %d (%q): invalid value %v", i, b.Label, b.Value)
		}
	}
	return nil
}

// layout holds the pixel geometry shared by the drawing steps.
type layout struct {
	k                                 float64 // scale factor, 1 at width 900
	w, h, pad                         int
	titleSize, labelSize              int
	noteSize, tickSize                int
	rowH, barH, noteGap, labelGap     int
	barMid, labelBase                 int // from a row's top: the bar's centre, the label's baseline
	plotTop, plotBottom               int
	plotLeft, zeroX                   int // bars span [x(v), zeroX]
	labelLeft, labelRight             int
	maxV, step                        float64
	titleBaseline                     int
	targetLabelBaseline, tickBaseline int
	hasTitle                          bool
}

func (g *layout) px(v float64) int { return int(math.Round(v * g.k)) }

// x maps a value to its pixel column: 0 at zeroX, maxV at plotLeft.
func (g *layout) x(v float64) float64 {
	v = math.Max(0, math.Min(v, g.maxV))
	return float64(g.zeroX) - v/g.maxV*float64(g.zeroX-g.plotLeft)
}

func renderImage(bars []Bar, opt Options) (*image.RGBA, error) {
	if err := validate(bars, &opt); err != nil {
		return nil, err
	}
	tr, err := getRenderer()
	if err != nil {
		return nil, err
	}
	defer putRenderer(tr)

	g := &layout{w: opt.Width}
	g.k = math.Max(0.75, math.Min(2, float64(opt.Width)/defaultWidth))
	g.pad = g.px(20)
	g.titleSize, g.labelSize, g.noteSize, g.tickSize = g.px(20), g.px(15), g.px(13), g.px(12)
	g.rowH, g.barH = g.px(30), g.px(18)
	g.noteGap, g.labelGap = g.px(6), g.px(12)
	noteMax := g.w / 5
	if opt.Phone {
		// A row is the label with its note on one line and a thin bar
		// under it, so nine rows stay within a phone's bubble.
		g.titleSize, g.labelSize, g.noteSize, g.tickSize = g.w/20, g.w/18, g.w/19, g.w/22
		g.barH = g.w / 60
		lineH := g.labelSize * 5 / 4
		g.rowH = lineH + g.barH + g.w/100
		g.barMid, g.labelBase = lineH+g.barH/2, g.labelSize*9/10
		noteMax = g.w / 3
	} else {
		// Persian glyphs sit mostly above the baseline with descenders
		// below; a baseline 0.35 em under the row centre looks centred.
		g.barMid, g.labelBase = g.rowH/2, g.rowH/2+int(0.35*float64(g.labelSize))
	}

	y := g.pad
	var title textLine
	if t := strings.TrimSpace(opt.Title); t != "" {
		g.hasTitle = true
		title = tr.layoutFit(t, g.titleSize, g.w-2*g.pad)
		g.titleBaseline = y + g.titleSize
		y += g.titleSize * 17 / 10
		if opt.Phone {
			y -= g.titleSize / 5
		}
	}

	if len(bars) == 0 {
		g.h = y + g.px(90) + g.pad
		img := newCanvas(g.w, g.h)
		if g.hasTitle {
			tr.draw(img, title, float64(g.w-g.pad-title.widthPx()), float64(g.titleBaseline), colTitle)
		}
		msg := tr.layoutFit(noDataText, g.px(16), g.w-2*g.pad)
		tr.draw(img, msg, float64((g.w-msg.widthPx())/2), float64(y+g.px(50)), colMuted)
		return img, nil
	}

	// Vertical geometry.
	g.targetLabelBaseline = y + g.tickSize*7/6
	g.plotTop = y + g.tickSize*11/6
	g.plotBottom = g.plotTop + len(bars)*g.rowH
	g.tickBaseline = g.plotBottom + g.tickSize*5/3
	g.h = g.tickBaseline + g.tickSize*2/3 + g.pad
	if opt.Phone { // the notes give the figures; no scale under the rows
		g.h = g.plotBottom + g.pad
	}

	// Horizontal geometry, right to left: label column, bars, note room.
	g.labelRight = g.w - g.pad
	labelW := int(math.Round(0.3 * float64(g.w)))
	g.labelLeft = g.labelRight - labelW
	g.zeroX = g.labelLeft - g.labelGap
	if opt.Phone { // labels above the bars: both take the whole width
		g.labelLeft, g.zeroX = g.pad, g.labelRight
	}

	notes := make([]textLine, len(bars))
	noteW := 0
	for i, b := range bars {
		if b.Note != "" {
			notes[i] = tr.layoutFit(b.Note, g.noteSize, noteMax)
			noteW = max(noteW, notes[i].widthPx())
		}
	}
	// Leave room left of the longest bar for its note, and for half of the
	// last tick label; on a phone the notes are on the labels' line.
	g.plotLeft = g.pad + max(noteW+g.noteGap, g.px(16))
	if opt.Phone {
		g.plotLeft = g.pad + g.tickSize
	}
	if g.zeroX-g.plotLeft < g.px(60) {
		return nil, errors.New("chart: width too small for the notes")
	}

	g.maxV, g.step = scale(bars, opt)

	img := newCanvas(g.w, g.h)

	// Zebra stripes behind every other row help follow long charts.
	for i := range bars {
		if i%2 == 1 {
			top := g.plotTop + i*g.rowH
			fill(img, image.Rect(g.pad, top, g.w-g.pad, top+g.rowH), colStripe)
		}
	}

	// Grid and tick labels.
	for i := 0; !opt.Phone; i++ {
		v := float64(i) * g.step
		if v > g.maxV*(1+1e-9) {
			break
		}
		x := int(math.Round(g.x(v)))
		c := colGrid
		if i == 0 {
			c = colAxis
		}
		if !opt.Phone || i == 0 { // on a phone grid lines would cross the labels
			fill(img, image.Rect(x, g.plotTop, x+1, g.plotBottom), c)
		}
		fill(img, image.Rect(x, g.plotBottom, x+1, g.plotBottom+g.px(4)), colAxis)
		lbl := tr.layout(persianNumber(v), g.tickSize)
		lx := clamp(x-lbl.widthPx()/2, 0, g.w-lbl.widthPx())
		tr.draw(img, lbl, float64(lx), float64(g.tickBaseline), colTick)
	}
	fill(img, image.Rect(g.plotLeft, g.plotBottom, g.zeroX+1, g.plotBottom+1), colAxis)

	// Bars.
	ref := opt.Target
	if ref <= 0 {
		ref = 100
	}
	barLeft := make([]int, len(bars))
	for i, b := range bars {
		cy := g.plotTop + i*g.rowH + g.barMid
		left := int(math.Round(g.x(b.Value)))
		if b.Value > 0 && left > g.zeroX-2 {
			left = g.zeroX - 2 // keep tiny non-zero values visible
		}
		barLeft[i] = left
		if left < g.zeroX {
			fill(img, image.Rect(left, cy-g.barH/2, g.zeroX, cy-g.barH/2+g.barH), barColour(b.Value, ref))
		}
	}

	// Target line over the bars, with its label above the plot.
	if opt.Target > 0 && opt.Target <= g.maxV {
		x := int(math.Round(g.x(opt.Target)))
		dash, gap := g.px(6), g.px(4)
		for yy := g.plotTop - g.px(4); yy < g.plotBottom; yy += dash + gap {
			if opt.Phone && (yy-g.plotTop)%g.rowH < g.barMid-g.barH { // not across the text
				continue
			}
			fill(img, image.Rect(x-1, yy, x+1, min(yy+dash, g.plotBottom)), colTarget)
		}
		lbl := tr.layout(targetText+" "+persianNumber(opt.Target), g.tickSize)
		lx := clamp(x-lbl.widthPx()/2, 0, g.w-lbl.widthPx())
		tr.draw(img, lbl, float64(lx), float64(g.targetLabelBaseline), colTarget)
	}

	// Labels and notes last, so nothing crosses them.
	for i, b := range bars {
		top := g.plotTop + i*g.rowH
		cy := top + g.barMid
		room := g.labelRight - g.labelLeft
		if opt.Phone && len(notes[i].runs) > 0 {
			room -= notes[i].widthPx() + 2*g.noteGap
		}
		lbl := tr.layoutFit(b.Label, g.labelSize, room)
		tr.draw(img, lbl, float64(g.labelRight-lbl.widthPx()), float64(top+g.labelBase), colLabel)
		if n := notes[i]; opt.Phone && len(n.runs) > 0 {
			tr.draw(img, n, float64(g.pad), float64(top+g.labelBase), colNote)
		} else if len(n.runs) > 0 {
			nx := max(barLeft[i]-g.noteGap-n.widthPx(), 0)
			bg := colBackground
			if i%2 == 1 {
				bg = colStripe
			}
			// Clear the grid and the target line behind the note.
			fill(img, image.Rect(nx-g.px(2), cy-g.barH/2, barLeft[i]-g.px(1), cy-g.barH/2+g.barH), bg)
			tr.draw(img, n, float64(nx), float64(cy+int(0.35*float64(g.noteSize))), colNote)
		}
	}

	if g.hasTitle {
		tr.draw(img, title, float64(g.w-g.pad-title.widthPx()), float64(g.titleBaseline), colTitle)
	}
	return img, nil
}

// scale returns the value at the left end of the axis and the tick step.
func scale(bars []Bar, opt Options) (maxV, step float64) {
	if opt.MaxValue > 0 {
		return opt.MaxValue, niceStep(opt.MaxValue / 5)
	}
	top := math.Max(100, opt.Target)
	for _, b := range bars {
		top = math.Max(top, b.Value)
	}
	step = niceStep(top / 5)
	return math.Ceil(top/step-1e-9) * step, step
}

// niceStep rounds raw up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

func barColour(v, ref float64) color.RGBA {
	switch {
	case v < ref/2:
		return colLow
	case v < ref:
		return colMid
	default:
		return colHigh
	}
}

// persianNumber formats v with Persian digits and the Arabic decimal
// separator, e.g. 12.5 -> "۱۲٫۵".
func persianNumber(v float64) string {
	s := strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune('۰' + (c - '0'))
		case c == '.':
			b.WriteRune('٫')
		case c == '-':
			b.WriteRune('−')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func newCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), colBackground)
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
