// A test oracle: Go's own regexp package answers how RE2 patterns match, so the JS translation can
// be compared with the real thing. Reads JSON lines {"pattern","input"} on stdin and writes one JSON
// line per request: the compile error, or every match (byte offsets) and the first match's groups.
// With -tables it instead prints, as one JSON object, the Unicode data Go's regexp folds and names
// classes with (SimpleFold orbits, FoldCategory/FoldScript, the category and script names), so the
// translator's embedded copy can be checked against the Go toolchain on this machine.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"unicode"
)

type tables struct {
	Unicode         string               `json:"unicode"`
	Orbits          [][]rune             `json:"orbits"`
	FoldCategory    map[string][][2]rune `json:"foldCategory"`
	FoldScript      map[string][][2]rune `json:"foldScript"`
	Categories      []string             `json:"categories"`
	Scripts         []string             `json:"scripts"`
	CategoryAliases map[string]string    `json:"categoryAliases"`
}

// tableRanges lists a RangeTable as inclusive [lo, hi] pairs (strides expanded).
func tableRanges(t *unicode.RangeTable) [][2]rune {
	out := [][2]rune{}
	add := func(lo, hi, stride rune) {
		for r := lo; r <= hi; r += stride {
			if n := len(out); n > 0 && out[n-1][1]+1 == r {
				out[n-1][1] = r
			} else {
				out = append(out, [2]rune{r, r})
			}
		}
	}
	for _, r := range t.R16 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	for _, r := range t.R32 {
		add(rune(r.Lo), rune(r.Hi), rune(r.Stride))
	}
	return out
}

func dumpTables() {
	t := tables{
		Unicode:         unicode.Version,
		FoldCategory:    map[string][][2]rune{},
		FoldScript:      map[string][][2]rune{},
		CategoryAliases: unicode.CategoryAliases,
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		// Each orbit once, from its smallest member.
		orbit := []rune{r}
		smallest := true
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < r {
				smallest = false
				break
			}
			orbit = append(orbit, f)
		}
		if smallest && len(orbit) > 1 {
			sort.Slice(orbit, func(i, j int) bool { return orbit[i] < orbit[j] })
			t.Orbits = append(t.Orbits, orbit)
		}
	}
	for name, tab := range unicode.FoldCategory {
		t.FoldCategory[name] = tableRanges(tab)
	}
	for name, tab := range unicode.FoldScript {
		t.FoldScript[name] = tableRanges(tab)
	}
	for name := range unicode.Categories {
		t.Categories = append(t.Categories, name)
	}
	for name := range unicode.Scripts {
		t.Scripts = append(t.Scripts, name)
	}
	sort.Strings(t.Categories)
	sort.Strings(t.Scripts)
	_ = json.NewEncoder(os.Stdout).Encode(t)
}

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
	if len(os.Args) > 1 && os.Args[1] == "-tables" {
		dumpTables()
		return
	}
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
