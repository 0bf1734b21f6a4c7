package fakeapi

// Watching the server from outside, for a live view such as the browser
// playground (bot/playground): a change signal and a per-chat revision, so a
// watcher learns that something changed without copying every chat.

// Changed returns a channel closed at the next change of chats, messages or
// callback answers (and at other moments, such as each finished Bot API
// call: a wake-up is a hint to look, not proof of a change). It is closed at
// once if the server is closed. Take the channel before reading the state,
// then wait on it, so no change falls between the read and the wait.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return s.done
	}
	return s.stateSig.C()
}

// Done is closed when the server is closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// Revision is a number that grows whenever a message is added to the chat
// (by either side) or one of its messages is edited or deleted. Equal
// revisions mean the same transcript.
func (c *Chat) Revision() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ch := c.state()
	if ch == nil {
		return 0
	}
	n := len(ch.msgs)
	for _, rec := range ch.msgs {
		n += rec.version
	}
	return n
}
