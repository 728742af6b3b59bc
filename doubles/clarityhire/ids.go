package clarityhire

import "strings"

// IDShape is an id as ClarityHire (or another ATS) may send it, with a
// sibling that differs only in its digits: a redaction of digit runs would
// make the two one, which is why ids are never redacted.
type IDShape struct{ Name, ID, Sibling string }

// IDShapes are the shapes hiresync carries byte for byte from the ingress
// to Slack's metadata and back; the tests of each room go through them all.
var IDShapes = []IDShape{
	{"numeric", "20261204000001", "20261204000002"},
	{"prefixed numeric", "evt_20261204000001", "evt_20261204000002"},
	{"ULID", "01JC01Z8Q4XKJ7R4M9V2T6B3HN", "01JC01Z8Q4XKJ7R4M9V2T6B3HP"},
	{"UUID", "3f0b7c2e-8d4a-4e1b-9c6f-2a5d7e8b1c40", "3f0b7c2e-8d4a-4e1b-9c6f-2a5d7e8b1c41"},
	{"dots and colons", "clarityhire:evt.2026.12.04:4415550101", "clarityhire:evt.2026.12.04:4415550102"},
	{"hex with a digit run", "evt_cf00004613a", "evt_cf00004614a"},
	{"128 characters", "evt_" + strings.Repeat("1234567890", 12) + "1234", "evt_" + strings.Repeat("1234567890", 12) + "1235"},
}
