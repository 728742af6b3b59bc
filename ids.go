package hiresync

// MaxIDLength bounds the ids ClarityHire issues (event, candidate, job,
// application); theirs are short.
const MaxIDLength = 128

// ValidID reports whether id is shaped like an id ClarityHire issues: 1 to
// MaxIDLength letters, digits and "_-.:". It is the ingress's rule for the
// event and candidate ids it accepts (ingress/envelope.go, checkID); the
// activities use it to know whether an id they were handed can be written to
// Slack exactly as received. Such an id cannot hold an email address, a
// mention, mrkdwn, a space or a control character, which is why it is never
// cleaned or redacted: it is an identifier, carried and compared byte for
// byte.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}
