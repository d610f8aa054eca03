package main

// Diff, as upstream (pulumi-go-provider's inferred diff for a resource with a custom Update):
// the old inputs are compared with the new inputs; any change of any input is an update, except a
// change anywhere under "triggers", which replaces the resource (create-before-delete, as
// upstream, which does not ask for delete-before-replace). "version" and "__"-prefixed keys are
// ignored, ignoreChanges paths take their old values. An update runs "update" (or "create" when
// there is no "update"); a replace runs "create" for the new resource, then "delete" of the old one.

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// replaceKeys are the inputs whose change replaces the resource (upstream: triggers carries
// replaceOnChanges in the schema; the SDK also asks for replaceOnChanges "triggers[*]").
var replaceKeys = map[string]bool{"triggers": true}

func ignoredKey(k resource.PropertyKey) bool {
	return k == "version" || strings.HasPrefix(string(k), "__")
}

// inputsOf drops internal keys and output-only properties (for state used as old inputs).
func inputsOf(m resource.PropertyMap, dropOutputs bool) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if ignoredKey(k) || (dropOutputs && outputOnlyKeys[k]) {
			continue
		}
		out[k] = v
	}
	return out
}

// rootKey is the top-level property of a detailed-diff path such as "triggers[0]" or "connection.host".
func rootKey(path string) string {
	if p, err := resource.ParsePropertyPath(path); err == nil && len(p) > 0 {
		if s, ok := p[0].(string); ok {
			return s
		}
	}
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// applyIgnoreChanges sets each ignored path of news to its value in olds (when olds has one).
func applyIgnoreChanges(olds, news resource.PropertyMap, ignore []string) resource.PropertyMap {
	if len(ignore) == 0 {
		return news
	}
	news = news.Copy()
	for _, ic := range ignore {
		p, err := resource.ParsePropertyPath(ic)
		if err != nil {
			continue
		}
		oldObj := resource.NewProperty(olds)
		if v, ok := p.Get(oldObj); ok {
			newObj := resource.NewProperty(news)
			if p.Set(newObj, v) {
				news = newObj.ObjectValue()
			}
		}
	}
	return news
}

var diffKinds = map[plugin.DiffKind]pulumirpc.PropertyDiff_Kind{
	plugin.DiffAdd:           pulumirpc.PropertyDiff_ADD,
	plugin.DiffAddReplace:    pulumirpc.PropertyDiff_ADD_REPLACE,
	plugin.DiffDelete:        pulumirpc.PropertyDiff_DELETE,
	plugin.DiffDeleteReplace: pulumirpc.PropertyDiff_DELETE_REPLACE,
	plugin.DiffUpdate:        pulumirpc.PropertyDiff_UPDATE,
	plugin.DiffUpdateReplace: pulumirpc.PropertyDiff_UPDATE_REPLACE,
}

// computeDiff compares old and new inputs.
func computeDiff(olds, news resource.PropertyMap, ignoreChanges []string) *pulumirpc.DiffResponse {
	olds = inputsOf(olds, false)
	news = applyIgnoreChanges(olds, inputsOf(news, false), ignoreChanges)

	objDiff := olds.Diff(news)
	if objDiff == nil || !objDiff.AnyChanges() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true,
			DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	replaces, diffs := map[string]bool{}, map[string]bool{}
	for path, d := range plugin.NewDetailedDiffFromObjectDiff(objDiff, true) {
		root := rootKey(path)
		kind := d.Kind
		if replaceKeys[root] {
			kind = kind.AsReplace()
			replaces[root] = true
		}
		diffs[root] = true
		detailed[path] = &pulumirpc.PropertyDiff{Kind: diffKinds[kind], InputDiff: true}
	}
	return &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Replaces:        sortedKeys(replaces),
		Diffs:           sortedKeys(diffs),
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
