// The {{id}} extension, compiled by Go into an Extism plugin (GOOS=wasip1,
// GOARCH=wasm, -buildmode=c-shared). The kernel calls the export named by a node's
// `handler` with the node's input as JSON, {"parameters": {...}, "items": [{"json": {...}}]},
// and reads {"items": [...]} back.
package main

import (
	"fmt"
	"unicode/utf8"

	"github.com/extism/go-pdk"
)

type item struct {
	JSON map[string]any `json:"json"`
}

type measureInput struct {
	Parameters struct {
		// Field is the item field that contains the text, or "text" when empty.
		Field string `json:"field"`
	} `json:"parameters"`
	Items []item `json:"items"`
}

type nodeOutput struct {
	Items []item `json:"items"`
}

// measure is node {{id}}.measure: it adds `characters`, the number of Unicode code
// points of the text field, to each item.
//
//go:wasmexport measure
func measure() int32 {
	var input measureInput
	if err := pdk.InputJSON(&input); err != nil {
		pdk.SetError(fmt.Errorf("reading the node input: %w", err))
		return 1
	}
	field := input.Parameters.Field
	if field == "" {
		field = "text"
	}

	output := nodeOutput{Items: make([]item, 0, len(input.Items))}
	for i, it := range input.Items {
		text, ok := it.JSON[field].(string)
		if !ok {
			pdk.SetErrorString(fmt.Sprintf("item %d: field '%s' is missing or not a string", i, field))
			return 1
		}
		it.JSON["characters"] = utf8.RuneCountInString(text)
		output.Items = append(output.Items, it)
	}

	if err := pdk.OutputJSON(output); err != nil {
		pdk.SetError(fmt.Errorf("writing the node output: %w", err))
		return 1
	}
	return 0
}

// main is required by the Go toolchain; a c-shared (reactor) module never runs it.
func main() {}
