// Package codec keeps candidates' names and emails out of readable
// Temporal history: a payload codec that encrypts every payload with
// AES-256-GCM (HIRESYNC_PAYLOAD_KEY, with key rotation by key id), and the
// HTTP codec server through which the Web UI and the temporal CLI show
// them decoded.
//
// With keys configured, the one Temporal client of each process (ingress
// and worker) encodes through the codec, so what is encrypted is every
// payload the SDK writes: signal and activity inputs and results, query
// results, continue-as-new state, and also the user metadata the Web UI
// shows, which in SDK v1.51 goes through the data converter too: the
// workflow's static summary (set by the ingress on signal-with-start),
// the activities' summaries and the workflow's current details (answered
// through a query). The Web UI shows those decoded only when its codec
// server is set to `hiresync codec-server`; without it they read as
// "binary/encrypted". Failure messages and stack traces are encrypted as
// well (they can quote a HubSpot error that names an email). Search
// attributes (CandidateId, JobIds, HiringStage), workflow ids and event
// types stay in clear: they are ids, not personal data.
//
// Histories written before encryption was switched on still read:
// decoding passes a payload that is not encrypted through unchanged.
package codec

import (
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Metadata of an encrypted payload.
const (
	// EncodingEncrypted is the encoding of a payload this codec encrypted.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
)

// Codec is a converter.PayloadCodec: Encode encrypts with the first key,
// Decode decrypts with the key the payload names and passes payloads that
// are not encrypted through.
type Codec struct {
	encrypt Key
	keys    map[string]Key
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys as ParseKeys returns them: the first
// encrypts, all decrypt.
func New(keys []Key) *Codec {
	c := &Codec{keys: make(map[string]Key, len(keys))}
	for i, k := range keys {
		if i == 0 {
			c.encrypt = k
		}
		if _, dup := c.keys[k.ID]; !dup {
			c.keys[k.ID] = k
		}
	}
	return c
}

// DataConverter is the SDK's default data converter with every payload
// passed through a codec over keys.
func DataConverter(keys []Key) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(keys))
}

// FailureConverter encodes failure messages and stack traces as payloads
// through dc, so that an error quoting personal data is encrypted too.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// Encode encrypts each payload: the marshalled payload, sealed with a
// fresh random nonce, becomes nonce||ciphertext.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	k := c.encrypt
	if k.aead == nil {
		return nil, errors.New("encrypt payload: no payload key")
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := p.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: marshal: %w", err)
		}
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(k.ID),
			},
			Data: k.aead.Seal(nonce, nonce, plain, nil),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key it names; others
// are returned as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	id, ok := p.Metadata[MetadataKeyID]
	if !ok {
		return nil, fmt.Errorf("decrypt payload: no %s in its metadata", MetadataKeyID)
	}
	k, ok := c.keys[string(id)]
	if !ok {
		return nil, fmt.Errorf("decrypt payload: key id %q is not among the keys in %s", id, EnvVar)
	}
	n := k.aead.NonceSize()
	if len(p.Data) < n+k.aead.Overhead() {
		return nil, fmt.Errorf("decrypt payload with key id %q: data is too short", k.ID)
	}
	plain, err := k.aead.Open(nil, p.Data[:n], p.Data[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt payload with key id %q: %w", k.ID, err)
	}
	var d commonpb.Payload
	if err := d.Unmarshal(plain); err != nil {
		return nil, fmt.Errorf("decrypt payload with key id %q: unmarshal: %w", k.ID, err)
	}
	return &d, nil
}
