package main

// Reading and checking the resources' input properties (resource.PropertyMap, as unmarshalled with
// KeepSecrets and KeepUnknowns), and applying the defaults that upstream's schema declares.

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	typeLocal  = "command:local:Command"
	typeRemote = "command:remote:Command"
)

// Output property names (everything else in a resource's state mirrors its inputs).
var outputOnlyKeys = map[resource.PropertyKey]bool{"stdout": true, "stderr": true, "assets": true, "archive": true}

var errUnknown = errors.New("value is not known yet")

// unwrap strips secret markers; secret reports whether there was one.
func unwrap(v resource.PropertyValue) (out resource.PropertyValue, secret bool) {
	for v.IsSecret() {
		secret = true
		v = v.SecretValue().Element
	}
	return v, secret
}

func present(v resource.PropertyValue) bool { return !v.IsNull() }

// field reads one property: ok=false when absent or null.
func field(m resource.PropertyMap, key string) (v resource.PropertyValue, secret bool, ok bool) {
	raw, has := m[resource.PropertyKey(key)]
	if !has {
		return resource.PropertyValue{}, false, false
	}
	v, secret = unwrap(raw)
	if v.IsNull() {
		return v, secret, false
	}
	return v, secret, true
}

func optString(m resource.PropertyMap, key string) (*string, bool, error) {
	v, secret, ok := field(m, key)
	if !ok {
		return nil, secret, nil
	}
	if v.IsComputed() {
		return nil, secret, fmt.Errorf("%s: %w", key, errUnknown)
	}
	if !v.IsString() {
		return nil, secret, fmt.Errorf("%s must be a string, not %s", key, v.TypeString())
	}
	s := v.StringValue()
	return &s, secret, nil
}

func optBool(m resource.PropertyMap, key string) (*bool, error) {
	v, _, ok := field(m, key)
	if !ok {
		return nil, nil
	}
	if v.IsComputed() {
		return nil, fmt.Errorf("%s: %w", key, errUnknown)
	}
	if !v.IsBool() {
		return nil, fmt.Errorf("%s must be a boolean, not %s", key, v.TypeString())
	}
	b := v.BoolValue()
	return &b, nil
}

func optInt(m resource.PropertyMap, key string) (*int, error) {
	v, _, ok := field(m, key)
	if !ok {
		return nil, nil
	}
	if v.IsComputed() {
		return nil, fmt.Errorf("%s: %w", key, errUnknown)
	}
	if !v.IsNumber() {
		return nil, fmt.Errorf("%s must be a number, not %s", key, v.TypeString())
	}
	f := v.NumberValue()
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return nil, fmt.Errorf("%s must be a whole number, not %v", key, f)
	}
	i := int(f)
	return &i, nil
}

func optStringList(m resource.PropertyMap, key string) ([]string, bool, error) {
	v, _, ok := field(m, key)
	if !ok {
		return nil, false, nil
	}
	if v.IsComputed() {
		return nil, false, fmt.Errorf("%s: %w", key, errUnknown)
	}
	if !v.IsArray() {
		return nil, false, fmt.Errorf("%s must be a list of strings, not %s", key, v.TypeString())
	}
	var out []string
	for i, e := range v.ArrayValue() {
		e, _ = unwrap(e)
		if e.IsComputed() {
			return nil, false, fmt.Errorf("%s[%d]: %w", key, i, errUnknown)
		}
		if !e.IsString() {
			return nil, false, fmt.Errorf("%s[%d] must be a string, not %s", key, i, e.TypeString())
		}
		out = append(out, e.StringValue())
	}
	return out, true, nil
}

func optStringMap(m resource.PropertyMap, key string) (map[string]string, error) {
	v, _, ok := field(m, key)
	if !ok {
		return nil, nil
	}
	if v.IsComputed() {
		return nil, fmt.Errorf("%s: %w", key, errUnknown)
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("%s must be a map of strings, not %s", key, v.TypeString())
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		e, _ = unwrap(e)
		if e.IsNull() {
			continue
		}
		if e.IsComputed() {
			return nil, fmt.Errorf("%s.%s: %w", key, k, errUnknown)
		}
		if !e.IsString() {
			return nil, fmt.Errorf("%s.%s must be a string, not %s", key, k, e.TypeString())
		}
		out[string(k)] = e.StringValue()
	}
	return out, nil
}

// Logging is the "logging" input: which of the command's streams are streamed to the engine log.
type Logging string

const (
	LogStdout          Logging = "stdout"
	LogStderr          Logging = "stderr"
	LogStdoutAndStderr Logging = "stdoutAndStderr"
	LogNone            Logging = "none"
)

// logsStdout and logsStderr follow upstream: unset means both.
func (l Logging) logsStdout() bool { return l == "" || l == LogStdout || l == LogStdoutAndStderr }
func (l Logging) logsStderr() bool { return l == "" || l == LogStderr || l == LogStdoutAndStderr }

func parseLogging(m resource.PropertyMap) (Logging, error) {
	s, _, err := optString(m, "logging")
	if err != nil || s == nil {
		return "", err
	}
	switch l := Logging(*s); l {
	case LogStdout, LogStderr, LogStdoutAndStderr, LogNone:
		return l, nil
	}
	return "", fmt.Errorf("logging must be one of stdout, stderr, stdoutAndStderr, none; not %q", *s)
}

// commonInputs are the inputs both resources share.
type commonInputs struct {
	Create, Update, Delete *string
	// CommandSecret is true for each of create/update/delete whose value is secret.
	CreateSecret, UpdateSecret, DeleteSecret bool
	Stdin                                    *string
	Environment                              map[string]string
	Logging                                  Logging
	AddPreviousOutputInEnv                   bool
}

func parseCommon(m resource.PropertyMap) (commonInputs, error) {
	var c commonInputs
	var err error
	var errs []error
	add := func(e error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	c.Create, c.CreateSecret, err = optString(m, "create")
	add(err)
	c.Update, c.UpdateSecret, err = optString(m, "update")
	add(err)
	c.Delete, c.DeleteSecret, err = optString(m, "delete")
	add(err)
	c.Stdin, _, err = optString(m, "stdin")
	add(err)
	c.Environment, err = optStringMap(m, "environment")
	add(err)
	c.Logging, err = parseLogging(m)
	add(err)
	prev, err := optBool(m, "addPreviousOutputInEnv")
	add(err)
	c.AddPreviousOutputInEnv = prev == nil || *prev
	if v, _, ok := field(m, "triggers"); ok && !v.IsComputed() && !v.IsArray() {
		add(fmt.Errorf("triggers must be a list, not %s", v.TypeString()))
	}
	return c, errors.Join(errs...)
}

type localInputs struct {
	commonInputs
	Interpreter  []string
	Dir          *string
	AssetPaths   []string
	ArchivePaths []string
	HasAssets    bool
	HasArchive   bool
}

func parseLocal(m resource.PropertyMap) (localInputs, error) {
	c, err := parseCommon(m)
	l := localInputs{commonInputs: c}
	errs := []error{err}
	var e error
	l.Interpreter, _, e = optStringList(m, "interpreter")
	errs = append(errs, e)
	l.Dir, _, e = optString(m, "dir")
	errs = append(errs, e)
	l.AssetPaths, l.HasAssets, e = optStringList(m, "assetPaths")
	errs = append(errs, e)
	l.ArchivePaths, l.HasArchive, e = optStringList(m, "archivePaths")
	errs = append(errs, e)
	return l, errors.Join(errs...)
}

// connection is connection (or connection.proxy) of a remote command, with defaults applied.
type connection struct {
	Host               string
	Port               int
	User               string
	Password           *string
	PrivateKey         *string
	PrivateKeyPassword *string
	AgentSocketPath    *string
	HostKey            *string
	DialErrorLimit     int
	PerDialTimeout     int
	Proxy              *connection
}

const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
)

func parseConnection(v resource.PropertyValue, what string, allowProxy bool) (*connection, error) {
	v, _ = unwrap(v)
	if v.IsComputed() {
		return nil, fmt.Errorf("%s: %w", what, errUnknown)
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("%s must be an object, not %s", what, v.TypeString())
	}
	m := v.ObjectValue()
	var errs []error
	add := func(e error) {
		if e != nil {
			errs = append(errs, fmt.Errorf("%s.%w", what, e))
		}
	}
	c := &connection{Port: defaultPort, User: defaultUser, DialErrorLimit: defaultDialErrorLimit, PerDialTimeout: defaultPerDialTimeout}
	host, _, err := optString(m, "host")
	add(err)
	if host == nil && err == nil {
		errs = append(errs, fmt.Errorf("%s.host is required", what))
	} else if host != nil {
		c.Host = *host
	}
	if p, err := optInt(m, "port"); err != nil {
		add(err)
	} else if p != nil {
		c.Port = *p
	}
	if u, _, err := optString(m, "user"); err != nil {
		add(err)
	} else if u != nil {
		c.User = *u
	}
	c.Password, _, err = optString(m, "password")
	add(err)
	c.PrivateKey, _, err = optString(m, "privateKey")
	add(err)
	c.PrivateKeyPassword, _, err = optString(m, "privateKeyPassword")
	add(err)
	c.AgentSocketPath, _, err = optString(m, "agentSocketPath")
	add(err)
	c.HostKey, _, err = optString(m, "hostKey")
	add(err)
	if c.HostKey != nil {
		if _, err := parseHostKeys(*c.HostKey); err != nil {
			errs = append(errs, fmt.Errorf("%s.hostKey: %w", what, err))
		}
	}
	if d, err := optInt(m, "dialErrorLimit"); err != nil {
		add(err)
	} else if d != nil {
		c.DialErrorLimit = *d
	}
	if d, err := optInt(m, "perDialTimeout"); err != nil {
		add(err)
	} else if d != nil {
		if *d < 0 {
			errs = append(errs, fmt.Errorf("%s.perDialTimeout must not be negative", what))
		}
		c.PerDialTimeout = *d
	}
	if pv, _, ok := field(m, "proxy"); ok {
		if !allowProxy {
			errs = append(errs, fmt.Errorf("%s.proxy is not allowed here", what))
		} else {
			p, err := parseConnection(pv, what+".proxy", false)
			if err != nil {
				errs = append(errs, err)
			}
			c.Proxy = p
		}
	}
	return c, errors.Join(errs...)
}

type remoteInputs struct {
	commonInputs
	Conn *connection
}

func parseRemote(m resource.PropertyMap) (remoteInputs, error) {
	c, err := parseCommon(m)
	r := remoteInputs{commonInputs: c}
	errs := []error{err}
	if v, _, ok := field(m, "connection"); !ok {
		errs = append(errs, errors.New("missing required property 'connection'"))
	} else {
		conn, err := parseConnection(v, "connection", true)
		errs = append(errs, err)
		r.Conn = conn
	}
	return r, errors.Join(errs...)
}

// withConnectionDefaults returns the connection object with upstream's schema defaults filled in
// (user root, port 22, dialErrorLimit 10, perDialTimeout 15, also for connection.proxy), marked
// secret as a whole as upstream's schema does. Unknown values are left alone.
func withConnectionDefaults(v resource.PropertyValue) resource.PropertyValue {
	inner, _ := unwrap(v)
	if !inner.IsObject() {
		if inner.IsComputed() {
			return v
		}
		return v // a type error; Check reports it
	}
	var fill func(resource.PropertyMap, bool) resource.PropertyMap
	fill = func(m resource.PropertyMap, top bool) resource.PropertyMap {
		out := m.Copy()
		defaults := map[resource.PropertyKey]resource.PropertyValue{
			"user":           resource.NewProperty(defaultUser),
			"port":           resource.NewProperty(float64(defaultPort)),
			"dialErrorLimit": resource.NewProperty(float64(defaultDialErrorLimit)),
			"perDialTimeout": resource.NewProperty(float64(defaultPerDialTimeout)),
		}
		for k, d := range defaults {
			if cur, ok := out[k]; !ok || cur.IsNull() {
				out[k] = d
			}
		}
		if top {
			if p, ok := out["proxy"]; ok {
				pi, psecret := unwrap(p)
				if pi.IsObject() {
					np := resource.NewProperty(fill(pi.ObjectValue(), false))
					if psecret {
						np = resource.MakeSecret(np)
					}
					out["proxy"] = np
				}
			}
		}
		return out
	}
	return resource.MakeSecret(resource.NewProperty(fill(inner.ObjectValue(), true)))
}

// stripSecrets returns v without any secret markers, recursively.
func stripSecrets(v resource.PropertyValue) resource.PropertyValue {
	v, _ = unwrap(v)
	switch {
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = stripSecrets(e)
		}
		return resource.NewProperty(arr)
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = stripSecrets(e)
		}
		return resource.NewProperty(m)
	}
	return v
}

// secretStrings collects the values that must never reach a log line or an error message: every
// string inside an input that is (or contains) a secret, except the plain connection fields
// (connection is always secret as a whole, but its host, port and user are not sensitive).
func secretStrings(m resource.PropertyMap) []string {
	var out []string
	var walk func(v resource.PropertyValue, inSecret bool)
	walk = func(v resource.PropertyValue, inSecret bool) {
		v, s := unwrap(v)
		inSecret = inSecret || s
		switch {
		case v.IsString():
			if inSecret {
				out = append(out, v.StringValue())
			}
		case v.IsArray():
			for _, e := range v.ArrayValue() {
				walk(e, inSecret)
			}
		case v.IsObject():
			for _, e := range v.ObjectValue() {
				walk(e, inSecret)
			}
		}
	}
	for k, v := range m {
		if k == "connection" {
			conn, _ := unwrap(v)
			if !conn.IsObject() {
				continue
			}
			cm := conn.ObjectValue()
			sensitive := []resource.PropertyKey{"password", "privateKey", "privateKeyPassword"}
			for _, sk := range sensitive {
				walk(cm[sk], true)
			}
			if p, ok := cm["proxy"]; ok {
				if pm, _ := unwrap(p); pm.IsObject() {
					for _, sk := range sensitive {
						walk(pm.ObjectValue()[sk], true)
					}
				}
			}
			continue
		}
		walk(v, false)
	}
	sort.Strings(out)
	return out
}
