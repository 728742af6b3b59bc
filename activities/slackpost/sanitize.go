package slackpost

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hiresync/hiresync"
)

// redacted replaces anything that looks like an email address or a phone
// number.
const redacted = "[redacted]"

var (
	// email is anything with an at sign (or a spelt-out or encoded one)
	// between two runs of non-space characters: broad on purpose, since a
	// false positive only costs a word.
	email = regexp.MustCompile(`(?i)[^\s<>()\[\]{}"',;]+\s?(?:@|＠|%40|\[at\]|\(at\))\s?[^\s<>()\[\]{}"',;]+`)
	// phoneLike is a run of digits, spaces and the usual separators; it is a
	// phone number when it holds seven digits or more (see isPhone).
	phoneLike = regexp.MustCompile(`\+?[\p{Nd}(][\p{Nd}\s().\-/]{5,}\p{Nd}`)
	spaces    = regexp.MustCompile(`\s+`)
)

const minPhoneDigits = 7

func isPhone(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n >= minPhoneDigits
}

// clean makes a value from an event fit for Slack: one line, no invisible
// characters, no email address or phone number, at most maxRunes long.
func clean(s string, maxRunes int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1 // zero-width and other format characters hide what follows
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	s = email.ReplaceAllString(s, redacted)
	s = phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		if isPhone(m) {
			return redacted
		}
		return m
	})
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes-1]) + "…"
	}
	return s
}

// hasContact reports whether s holds something clean would redact.
func hasContact(s string) bool {
	if email.MatchString(s) {
		return true
	}
	for _, m := range phoneLike.FindAllString(s, -1) {
		if isPhone(m) {
			return true
		}
	}
	return false
}

// esc escapes the three characters Slack's mrkdwn gives meaning to, so that
// a value cannot mention @channel or hide a link.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// field is an event value cleaned and escaped for mrkdwn.
func field(s string, maxRunes int) string { return esc(clean(s, maxRunes)) }

// idLabel is an id shown as text where a label is missing (a job without a
// title): an id that keeps the id rules (hiresync.ValidID) is shown exactly
// as sent, since it is an identifier, not free text, and the rules leave it
// nothing to clean or escape; anything else is cleaned like free text.
func idLabel(id string, maxRunes int) string {
	if hiresync.ValidID(id) {
		return id
	}
	return clean(id, maxRunes)
}

// code is an event code such as "position_filled", made readable, cleaned
// and escaped.
func code(s string) string { return field(strings.ReplaceAll(s, "_", " "), maxWordRunes) }

// Lengths, in runes, for values from events.
const (
	maxWordRunes  = 100
	maxNameRunes  = 150 // Slack's limit for a header block
	maxTitleRunes = 200
	maxURLBytes   = 3000 // Slack's limit for a button's url
)

// profileURL is the link for the root's button: an http(s) URL without
// credentials, and without its query and fragment if they look like they
// hold an email address or a phone number. It is "" when no such URL can be
// made, and the root then has no button. The candidate's own id (one that
// keeps the id rules) is an identifier, not a phone number, however many
// digits it has: it is left out of the search for contact details, so that
// ".../candidates/4415550101" keeps its button.
func profileURL(raw, candidateID string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	u.User = nil
	contact := func(s string) bool {
		s = unescape(s)
		if hiresync.ValidID(candidateID) {
			s = strings.ReplaceAll(s, candidateID, " ")
		}
		return hasContact(s)
	}
	if contact(u.RawQuery) || contact(u.Fragment) {
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	}
	s := u.String()
	if contact(u.Host+u.Path) || contact(s) || len(s) > maxURLBytes {
		return ""
	}
	return s
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
