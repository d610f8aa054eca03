package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// schema.json is a compact package schema: names, types, required inputs, secrets and
// replaceOnChanges as in upstream's schema for 1.2.1, without the descriptions, CopyToRemote,
// CopyFile and local:run (not implemented here). Its version is the plugin's, added when served.
//
//go:embed schema.json
var schemaTemplate []byte

// packageSchema returns schema.json with "version" set to the plugin's Version.
func packageSchema() (string, error) {
	var schema map[string]any
	if err := json.Unmarshal(schemaTemplate, &schema); err != nil {
		return "", fmt.Errorf("embedded schema.json: %w", err)
	}
	schema["version"] = Version
	out, err := json.Marshal(schema)
	if err != nil {
		return "", fmt.Errorf("embedded schema.json: %w", err)
	}
	return string(out), nil
}
