// Package transport is the bot's update runtime: it receives updates from a
// Bot API server (long polling or a webhook), claims each in Redis so it is
// handled once, hands a chat's updates to the conversation one at a time and
// in order, and sends what the conversation says, paced and retried.
//
// It knows nothing of the conversation beyond the Handler interface, and
// nothing of the client library beyond the API interface: the types of
// updates, keyboards and requests here are the project's own.
package transport
