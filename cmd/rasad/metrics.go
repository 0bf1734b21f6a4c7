package main

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rasad-gov/rasad/bot/transport"
)

// promMetrics exports the bot's counts for Prometheus at /metrics. Each
// process has its own registry (tests run several bots in one process).
type promMetrics struct {
	reg        *prometheus.Registry
	updates    *prometheus.CounterVec
	handling   *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	flows      *prometheus.CounterVec
	duplicates prometheus.Counter
	sends      *prometheus.CounterVec
	sendErrors *prometheus.CounterVec
	tooMany    prometheus.Counter
}

func newPromMetrics() *promMetrics {
	m := &promMetrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rasad_updates_total", Help: "Updates received, by kind.",
		}, []string{"kind"}),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rasad_update_handling_seconds", Help: "Time from taking an update up to having handled it.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rasad_updates_in_flight", Help: "Updates being handled now (the queue depth).",
		}),
		flows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rasad_flows_total", Help: "Conversations started, completed (saved) and abandoned (cancelled), by flow.",
		}, []string{"flow", "event"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rasad_duplicates_blocked_total", Help: "Registrations refused because another agency placed the person this year.",
		}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rasad_sends_total", Help: "Requests to the Bot API, by method.",
		}, []string{"method"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rasad_send_errors_total", Help: "Bot API requests that failed, by method and code (429: flood control).",
		}, []string{"method", "code"}),
		tooMany: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rasad_too_many_requests_total", Help: "Bot API 429 answers (flood control).",
		}),
	}
	m.reg.MustRegister(m.updates, m.handling, m.inFlight, m.flows, m.duplicates, m.sends, m.sendErrors, m.tooMany,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *promMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *promMetrics) Received(kind string) { m.updates.WithLabelValues(kind).Inc() }
func (m *promMetrics) Handled(kind string, took time.Duration) {
	m.handling.WithLabelValues(kind).Observe(took.Seconds())
}
func (m *promMetrics) InFlight(delta int)      { m.inFlight.Add(float64(delta)) }
func (m *promMetrics) Flow(name, event string) { m.flows.WithLabelValues(name, event).Inc() }
func (m *promMetrics) DuplicateBlocked()       { m.duplicates.Inc() }

func (m *promMetrics) Sent(method string, err error) {
	m.sends.WithLabelValues(method).Inc()
	if code := transport.ErrorCode(err); code != "" {
		m.sendErrors.WithLabelValues(method, code).Inc()
		if code == "429" {
			m.tooMany.Inc()
		}
	}
}
