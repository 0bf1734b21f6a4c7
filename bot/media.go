package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// What location and photo steps keep of what the user shared, and how the
// review shows it.

// locationDecimals is the precision a location is kept at: a millionth of
// a degree is about 10 cm, finer than any phone's fix.
const locationDecimals = 6

// locationValue is loc as a location step keeps it: "lat,lon" with fixed
// decimals, so one place is always one string.
func locationValue(loc transport.Location) (string, error) {
	lat, lon := loc.Latitude, loc.Longitude
	// Written so that NaN, which fails every comparison, is refused too.
	// 0,0 is in the sea off Africa: a phone without a fix, not a workplace.
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) || lat == 0 && lon == 0 {
		return "", domain.Invalid("location.range")
	}
	return strconv.FormatFloat(lat, 'f', locationDecimals, 64) + "," + strconv.FormatFloat(lon, 'f', locationDecimals, 64), nil
}

// parseLocation reads a location step's value back as degrees.
func parseLocation(v string) (lat, lon float64, err error) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, 0, fmt.Errorf("location %q: no comma", v)
	}
	if lat, err = strconv.ParseFloat(a, 64); err != nil {
		return 0, 0, fmt.Errorf("location %q: %w", v, err)
	}
	if lon, err = strconv.ParseFloat(b, 64); err != nil {
		return 0, 0, fmt.Errorf("location %q: %w", v, err)
	}
	return lat, lon, nil
}

// largestPhoto is the biggest of a photo's sizes: the last of the largest
// area, as Telegram lists sizes smallest first.
func largestPhoto(sizes []transport.PhotoSize) transport.PhotoSize {
	best := sizes[0]
	for _, p := range sizes[1:] {
		if p.Width*p.Height >= best.Width*best.Height {
			best = p
		}
	}
	return best
}

// showLocation is a kept location as a reader checks it: the coordinates
// in their digits, and a map link to open.
func showLocation(c *Ctx, v string) string {
	lat, lon, ok := strings.Cut(v, ",")
	if v == "" || !ok {
		return c.T("value.none")
	}
	return c.T("value.location", "lat", c.decimal(lat), "lon", c.decimal(lon),
		"map", "https://www.openstreetmap.org/?mlat="+lat+"&mlon="+lon+"#map=17/"+lat+"/"+lon)
}

// showPhoto says whether a photo was given; the review is text and cannot
// show the photo itself.
func showPhoto(c *Ctx, v string) string {
	if v == "" {
		return c.T("value.no_photo")
	}
	return c.T("value.photo")
}

// decimal shows a decimal number written with ASCII digits and a point in
// the user's script: Persian digits and the Persian decimal separator.
func (c *Ctx) decimal(s string) string {
	if c.Lang == "fa" {
		s = strings.ReplaceAll(s, ".", "٫")
	}
	return c.digits(s)
}
