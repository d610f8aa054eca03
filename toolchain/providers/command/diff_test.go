package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func base() resource.PropertyMap {
	return resource.PropertyMap{
		"create":   resource.NewProperty("echo hi"),
		"delete":   resource.NewProperty("echo bye"),
		"stdin":    resource.MakeSecret(resource.NewProperty("key material")),
		"triggers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("a"), resource.NewProperty(1.0)}),
		"connection": resource.MakeSecret(resource.NewProperty(resource.PropertyMap{
			"host": resource.NewProperty("10.0.0.1"), "port": resource.NewProperty(22.0)})),
	}
}

func TestDiffRules(t *testing.T) {
	type want struct {
		changes  pulumirpc.DiffResponse_DiffChanges
		replaces []string
	}
	cases := map[string]struct {
		edit func(resource.PropertyMap)
		ign  []string
		want want
	}{
		"nothing":             {func(resource.PropertyMap) {}, nil, want{pulumirpc.DiffResponse_DIFF_NONE, nil}},
		"create -> update":    {func(m resource.PropertyMap) { m["create"] = resource.NewProperty("echo ho") }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"update added":        {func(m resource.PropertyMap) { m["update"] = resource.NewProperty("echo up") }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"delete -> update":    {func(m resource.PropertyMap) { m["delete"] = resource.NewProperty("echo ciao") }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"secret stdin change": {func(m resource.PropertyMap) { m["stdin"] = resource.MakeSecret(resource.NewProperty("other")) }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"connection host": {func(m resource.PropertyMap) {
			m["connection"].SecretValue().Element.ObjectValue()["host"] = resource.NewProperty("10.0.0.2")
		}, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"environment": {func(m resource.PropertyMap) {
			m["environment"] = resource.NewProperty(resource.PropertyMap{"A": resource.NewProperty("1")})
		}, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"logging":         {func(m resource.PropertyMap) { m["logging"] = resource.NewProperty("none") }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, nil}},
		"trigger element": {func(m resource.PropertyMap) { m["triggers"].ArrayValue()[1] = resource.NewProperty(2.0) }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, []string{"triggers"}}},
		"trigger appended": {func(m resource.PropertyMap) {
			m["triggers"] = resource.NewProperty(append(m["triggers"].ArrayValue(), resource.NewProperty("x")))
		}, nil, want{pulumirpc.DiffResponse_DIFF_SOME, []string{"triggers"}}},
		"triggers removed": {func(m resource.PropertyMap) { delete(m, "triggers") }, nil, want{pulumirpc.DiffResponse_DIFF_SOME, []string{"triggers"}}},
		"trigger unknown": {func(m resource.PropertyMap) {
			m["triggers"].ArrayValue()[0] = resource.MakeComputed(resource.NewProperty(""))
		}, nil, want{pulumirpc.DiffResponse_DIFF_SOME, []string{"triggers"}}},
		"trigger + create": {func(m resource.PropertyMap) {
			m["create"] = resource.NewProperty("x")
			m["triggers"] = resource.NewProperty([]resource.PropertyValue{})
		}, nil, want{pulumirpc.DiffResponse_DIFF_SOME, []string{"triggers"}}},
		"internal keys": {func(m resource.PropertyMap) {
			m["__defaults"] = resource.NewProperty([]resource.PropertyValue{})
			m["version"] = resource.NewProperty("1")
		}, nil, want{pulumirpc.DiffResponse_DIFF_NONE, nil}},
		"ignoreChanges":   {func(m resource.PropertyMap) { m["create"] = resource.NewProperty("echo ho") }, []string{"create"}, want{pulumirpc.DiffResponse_DIFF_NONE, nil}},
		"ignored trigger": {func(m resource.PropertyMap) { m["triggers"].ArrayValue()[0] = resource.NewProperty("b") }, []string{"triggers[0]"}, want{pulumirpc.DiffResponse_DIFF_NONE, nil}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			news := base()
			c.edit(news)
			got := computeDiff(base(), news, c.ign)
			if got.Changes != c.want.changes {
				t.Fatalf("changes %v, want %v (%v)", got.Changes, c.want.changes, got.DetailedDiff)
			}
			if len(got.Replaces) != len(c.want.replaces) || (len(c.want.replaces) > 0 && got.Replaces[0] != c.want.replaces[0]) {
				t.Fatalf("replaces %v, want %v", got.Replaces, c.want.replaces)
			}
			for path, d := range got.DetailedDiff {
				isReplace := d.Kind == pulumirpc.PropertyDiff_ADD_REPLACE || d.Kind == pulumirpc.PropertyDiff_DELETE_REPLACE || d.Kind == pulumirpc.PropertyDiff_UPDATE_REPLACE
				if isReplace != (rootKey(path) == "triggers") {
					t.Errorf("%s: kind %v", path, d.Kind)
				}
			}
		})
	}
}

func TestRootKey(t *testing.T) {
	for in, want := range map[string]string{"triggers[0]": "triggers", "connection.host": "connection", "stdin": "stdin", `environment["a.b"]`: "environment"} {
		if got := rootKey(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}
