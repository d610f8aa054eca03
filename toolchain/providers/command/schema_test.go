package main

import (
	"encoding/json"
	"testing"
)

func TestPackageSchemaCarriesTheBuildVersionAndBothCommands(t *testing.T) {
	old := Version
	Version = "9.8.7"
	defer func() { Version = old }()
	text, err := packageSchema()
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Name      string                     `json:"name"`
		Version   string                     `json:"version"`
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal([]byte(text), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if schema.Name != "command" || schema.Version != "9.8.7" {
		t.Fatalf("schema name/version = %q/%q, want command/9.8.7", schema.Name, schema.Version)
	}
	for _, token := range []string{"command:remote:Command", "command:local:Command"} {
		if _, ok := schema.Resources[token]; !ok {
			t.Errorf("schema lacks resource %s", token)
		}
	}
}
