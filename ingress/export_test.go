package ingress

// DecodeEvent is ParseEvent's fast road, for tests that hold it to
// encoding/json.
var DecodeEvent = decodeEvent
