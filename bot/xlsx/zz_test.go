package xlsx_test

import (
	"testing"

	"github.com/rasad-gov/rasad/bot/xlsx"
)

func BenchmarkReadOnly10k(b *testing.B) {
	data := upload(b, 10000)
	for b.Loop() {
		tb, err := xlsx.Read(data, 10000)
		if err != nil {
			b.Fatal(err)
		}
		for range tb.Rows() {
		}
		tb.Close()
	}
}
