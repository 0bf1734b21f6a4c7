//go:build !race

package xlsx_test

const raceEnabled = false
