package bot

import "strconv"

// submissionKey is the key a form's submit is stored under, so that the same
// submit made again (the update redelivered after a crash, or a stale
// Confirm) finds what it saved instead of being refused: the chat and the
// session, which is new for every flow started.
func submissionKey(chat int64, s *Session) string {
	return strconv.FormatInt(chat, 10) + ":" + s.ID
}
