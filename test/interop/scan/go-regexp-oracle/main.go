// A test oracle: Go's own regexp package answers how RE2 patterns match, so the JS translation can
// be compared with the real thing. Reads JSON lines {"pattern","input"} on stdin and writes one JSON
// line per request: the compile error, or every match (byte offsets) and the first match's groups.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
)

type request struct {
	Pattern string `json:"pattern"`
	Input   string `json:"input"`
}

type response struct {
	Error   string   `json:"error,omitempty"`
	Matches [][]int  `json:"matches"`
	Groups  []string `json:"groups"`
	NumSub  int      `json:"numSub"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = enc.Encode(response{Error: "bad request: " + err.Error()})
			continue
		}
		re, err := regexp.Compile(req.Pattern)
		if err != nil {
			_ = enc.Encode(response{Error: err.Error()})
			continue
		}
		res := response{Matches: re.FindAllStringIndex(req.Input, -1), NumSub: re.NumSubexp()}
		if res.Matches == nil {
			res.Matches = [][]int{}
		}
		res.Groups = re.FindStringSubmatch(req.Input)
		_ = enc.Encode(res)
	}
	_ = out.Flush()
}
