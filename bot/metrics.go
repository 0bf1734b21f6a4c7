package bot

import "github.com/rasad-gov/rasad/bot/transport"

// Metrics counts what the bot does, the runtime's sending included;
// cmd/rasad exports them for Prometheus. The bot works the same without
// them.
type Metrics interface {
	transport.Metrics
	Flow(name, event string) // event: started, completed, abandoned
	DuplicateBlocked()
}

type nopMetrics struct{ transport.NopMetrics }

func (nopMetrics) Flow(string, string) {}
func (nopMetrics) DuplicateBlocked()   {}
