// comment-path-oracle prints, for every YAML comment, the path sops uses as its AAD, computed by
// sops' own code: the YAML store (stores/yaml) builds the tree and sops' Tree.Encrypt (or
// Tree.Decrypt) walks it with a recording Cipher, so the path is the one the real walk hands to
// the cipher. Input: one JSON request per line, {"yaml": "...", "mode": "plain"|"encrypted"}.
// "plain" loads the text with LoadPlainFile and encrypts it (the AAD sops writes); "encrypted"
// loads it with LoadEncryptedFile (the text must carry a `sops:` block) and decrypts it (the AAD
// sops expects when it reads the file). Output: one JSON line per request,
// {"comments": [{"text": " note", "aad": "a:b:"}, ...]} in walk order, or {"error": "..."}.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

type request struct {
	YAML string `json:"yaml"`
	Mode string `json:"mode"`
}

type comment struct {
	Text string `json:"text"`
	AAD  string `json:"aad"`
}

type answer struct {
	Error    string    `json:"error,omitempty"`
	Comments []comment `json:"comments"`
}

// recordingCipher records the AAD of every comment the walk encrypts or decrypts, and returns
// values unchanged (a comment stays a Comment, so the tree keeps its shape).
type recordingCipher struct{ comments []comment }

func (r *recordingCipher) Encrypt(plaintext interface{}, key []byte, aad string) (string, error) {
	if c, ok := plaintext.(sops.Comment); ok {
		r.comments = append(r.comments, comment{Text: c.Value, AAD: aad})
		return c.Value, nil
	}
	return fmt.Sprint(plaintext), nil
}

func (r *recordingCipher) Decrypt(ciphertext string, key []byte, aad string) (interface{}, error) {
	return ciphertext, nil
}

// decryptRecorder is used in "encrypted" mode: Tree.Decrypt hands comments to Decrypt as their
// text only, so the walk's comment leaves are told apart from values by a marker the caller
// cannot produce in a value: the oracle records every Decrypt call whose text it saw as a comment.
type decryptRecorder struct {
	commentTexts map[string]bool
	comments     []comment
}

func (r *decryptRecorder) Encrypt(plaintext interface{}, key []byte, aad string) (string, error) {
	return fmt.Sprint(plaintext), nil
}

func (r *decryptRecorder) Decrypt(ciphertext string, key []byte, aad string) (interface{}, error) {
	if r.commentTexts[ciphertext] {
		r.comments = append(r.comments, comment{Text: ciphertext, AAD: aad})
		return sops.Comment{Value: ciphertext}, nil
	}
	return ciphertext, nil
}

func collectCommentTexts(in interface{}, out map[string]bool) {
	switch v := in.(type) {
	case sops.TreeBranch:
		for _, item := range v {
			if c, ok := item.Key.(sops.Comment); ok {
				out[c.Value] = true
			}
			collectCommentTexts(item.Value, out)
		}
	case []interface{}:
		for _, item := range v {
			if c, ok := item.(sops.Comment); ok {
				out[c.Value] = true
			}
			collectCommentTexts(item, out)
		}
	}
}

// stringifyLeaves replaces every non-comment scalar by its text, keeping the tree's shape.
func stringifyLeaves(in interface{}) interface{} {
	switch v := in.(type) {
	case sops.TreeBranch:
		for i := range v {
			if _, ok := v[i].Key.(sops.Comment); !ok {
				v[i].Value = stringifyLeaves(v[i].Value)
			}
		}
		return v
	case []interface{}:
		for i := range v {
			if _, ok := v[i].(sops.Comment); !ok {
				v[i] = stringifyLeaves(v[i])
			}
		}
		return v
	case nil, sops.Comment, string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func handle(req request) answer {
	store := sopsyaml.NewStore(&config.YAMLStoreConfig{})
	key := make([]byte, 32)
	switch req.Mode {
	case "plain", "":
		branches, err := store.LoadPlainFile([]byte(req.YAML))
		if err != nil {
			return answer{Error: err.Error()}
		}
		rec := &recordingCipher{}
		tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{}}
		if _, err := tree.Encrypt(key, rec); err != nil {
			return answer{Error: err.Error()}
		}
		return answer{Comments: nonNil(rec.comments)}
	case "encrypted":
		tree, err := store.LoadEncryptedFile([]byte(req.YAML))
		if err != nil {
			return answer{Error: err.Error()}
		}
		rec := &decryptRecorder{commentTexts: map[string]bool{}}
		for i, b := range tree.Branches {
			collectCommentTexts(b, rec.commentTexts)
			// Decrypt wants every encrypted leaf as a string: plaintext stands in for the envelopes.
			tree.Branches[i] = stringifyLeaves(b).(sops.TreeBranch)
		}
		if _, err := tree.Decrypt(key, rec); err != nil {
			return answer{Error: err.Error()}
		}
		return answer{Comments: nonNil(rec.comments)}
	}
	return answer{Error: "unknown mode " + req.Mode}
}

func nonNil(c []comment) []comment {
	if c == nil {
		return []comment{}
	}
	return c
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad request:", err)
			os.Exit(2)
		}
		if err := enc.Encode(handle(req)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
