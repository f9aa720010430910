// Go 1.25+: regexp/syntax looks Unicode class names up canonically (\p{greek}, \p{Letter}, Assigned,
// ASCII, LC), which the translator follows, and the oracle's -tables mode reads unicode.CategoryAliases.
module llmcm.test/goregexporacle

go 1.25
