package bot

import (
	"context"

	"github.com/rasad-gov/rasad/domain"
)

// PhoneMessenger sends one text to a phone number whose owner may never have
// written to the bot: Bale's Safir service (package safir). A nil one means
// the platform cannot, and such a number is not messaged at all.
type PhoneMessenger interface {
	SendText(ctx context.Context, phone domain.Mobile, text string) error
}
