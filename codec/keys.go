package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
)

// EnvVar is the variable that holds the payload keys.
const EnvVar = "HIRESYNC_PAYLOAD_KEY"

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// Key is one AES-256-GCM payload key and the id written beside every
// payload it encrypts. The key material is held only inside the cipher:
// printing or logging a Key shows its id and nothing else.
type Key struct {
	ID   string
	aead cipher.AEAD
}

// NewKey makes a Key from 32 bytes of key material.
func NewKey(id string, secret []byte) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("key %q is %d bytes, want %d", id, len(secret), KeySize)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", id, err)
	}
	return Key{ID: id, aead: aead}, nil
}

// String is the key's id, so that a Key printed by mistake shows no secret.
func (k Key) String() string { return "payload key " + k.ID }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// LogValue logs the key's id only.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.ID) }

// ParseKeys reads the value of HIRESYNC_PAYLOAD_KEY: one or more
// `id:base64key` entries, comma-separated, each key 32 bytes once decoded
// (standard or URL base64, padded or not; `openssl rand -base64 32` makes
// one). The first key encrypts new payloads; every key decrypts, so a
// rotation puts the new key first and keeps the old ones until no history
// needs them. Errors name the variable, the entry and the id, never key
// material.
func ParseKeys(s string) ([]Key, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%s is empty: want id:base64key[,id:base64key…]", EnvVar)
	}
	var keys []Key
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("%s: entry %d is empty", EnvVar, n)
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			// The entry may be a bare key: say nothing of its content.
			return nil, fmt.Errorf("%s: entry %d is not of the form id:base64key", EnvVar, n)
		}
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if err := checkID(id); err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", EnvVar, n, err)
		}
		if seen[id] {
			return nil, fmt.Errorf("%s: key id %q appears more than once", EnvVar, id)
		}
		seen[id] = true
		secret, ok := decodeBase64(b64)
		if !ok {
			return nil, fmt.Errorf("%s: key %q is not valid base64", EnvVar, id)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("%s: key %q decodes to %d bytes, want %d (AES-256)", EnvVar, id, len(secret), KeySize)
		}
		k, err := NewKey(id, secret)
		clear(secret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// checkID accepts ids made of letters, digits, '.', '_' and '-', so that
// an id is safe to print and cannot be mistaken for key material.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("key id is empty")
	}
	if len(id) > 64 {
		return fmt.Errorf("key id is longer than 64 characters")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("key id has a character other than letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
