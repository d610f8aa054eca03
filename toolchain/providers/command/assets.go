package main

// assetPaths / archivePaths of command:local:Command: after a successful run, the files (not
// directories) under the command's dir that match the globs, as upstream documents: "/" separates
// paths, "*" matches anything but "/", "**" matches anything, "?" one character, [..] classes,
// {a,b} alternatives, a leading "!" excludes, rules apply in order, paths are relative to dir.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// globRegexp translates one glob (without its "!") to an anchored regular expression.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0 // inside {...}
	for i := 0; i < len(glob); i++ {
		ch := glob[i]
		switch ch {
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("glob %q: unclosed [", glob)
			}
			class := glob[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				return nil, fmt.Errorf("glob %q: unmatched }", glob)
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(glob) {
				i++
				b.WriteString(regexp.QuoteMeta(string(glob[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("glob %q: unclosed {", glob)
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// globFiles returns the matching files, relative path (with "/") -> absolute path.
func globFiles(dir string, globs []string) (map[string]string, error) {
	type rule struct {
		re      *regexp.Regexp
		exclude bool
	}
	rules := make([]rule, 0, len(globs))
	for _, g := range globs {
		ex := strings.HasPrefix(g, "!")
		re, err := globRegexp(strings.TrimPrefix(g, "!"))
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule{re, ex})
	}
	found := map[string]string{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		for _, r := range rules {
			if !r.re.MatchString(p) {
				continue
			}
			if r.exclude {
				delete(found, p)
			} else {
				found[p] = filepath.Join(dir, filepath.FromSlash(p))
			}
		}
		return nil
	})
	return found, err
}

// collectAssets adds the "assets" and "archive" outputs for a local command that asked for them.
func collectAssets(in localInputs, dir string, out resource.PropertyMap) error {
	if in.HasAssets {
		files, err := globFiles(dir, in.AssetPaths)
		if err != nil {
			return fmt.Errorf("assetPaths: %w", err)
		}
		m := resource.PropertyMap{}
		for rel, abs := range files {
			a, err := resource.NewPathAsset(abs)
			if err != nil {
				return fmt.Errorf("assetPaths: %w", err)
			}
			m[resource.PropertyKey(rel)] = resource.NewProperty(a)
		}
		out["assets"] = resource.NewProperty(m)
	}
	if in.HasArchive {
		files, err := globFiles(dir, in.ArchivePaths)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		members := map[string]any{}
		for rel, abs := range files {
			a, err := resource.NewPathAsset(abs)
			if err != nil {
				return fmt.Errorf("archivePaths: %w", err)
			}
			members[rel] = a
		}
		arch, err := resource.NewAssetArchive(members)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		out["archive"] = resource.NewProperty(arch)
	}
	return nil
}
