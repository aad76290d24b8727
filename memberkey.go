package slo

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// memberSep separates the objective name and the labels in a member's
// key. It is a control character, which an objective name never holds
// (see [Objective.Validate]), so no member's key is an objective's name.
const memberSep = "\x1f"

// MemberKey returns the key under which a family member's state is saved:
// the objective name, then for each label in the order of its name, the
// unit separator U+001F, the name, '=' and the value with '%' and U+001F
// written %25 and %1F. An objective name holds no control character, so a
// member's key never equals a plain objective's name; [ParseMemberKey]
// reverses it. With nil or empty labels it is name. Stores keep letter case
// apart on every file system (see store/filestore), so keys differing only
// in case stay apart.
func MemberKey(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	for _, l := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(memberSep)
		b.WriteString(l)
		b.WriteByte('=')
		v := labels[l]
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '%':
				b.WriteString("%25")
			case memberSep[0]:
				b.WriteString("%1F")
			default:
				b.WriteByte(v[i])
			}
		}
	}
	return b.String()
}

// ParseMemberKey splits a key made by [MemberKey] into the objective name
// and the labels; labels is nil for a plain objective's name. It returns
// an error naming the part that is not of MemberKey's form.
func ParseMemberKey(key string) (name string, labels map[string]string, err error) {
	parts := strings.Split(key, memberSep)
	if len(parts) == 1 {
		return key, nil, nil
	}
	labels = make(map[string]string, len(parts)-1)
	for _, p := range parts[1:] {
		l, escaped, ok := strings.Cut(p, "=")
		if !ok || !isLabelName(l) {
			return "", nil, fmt.Errorf("slo: member key %q: %q is not label=value", key, p)
		}
		if _, dup := labels[l]; dup {
			return "", nil, fmt.Errorf("slo: member key %q: label %s is listed twice", key, l)
		}
		v, err := unescapeValue(escaped)
		if err != nil {
			return "", nil, fmt.Errorf("slo: member key %q: label %s: %w", key, l, err)
		}
		labels[l] = v
	}
	return parts[0], labels, nil
}

// unescapeValue reverses the escaping of MemberKey.
func unescapeValue(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1 : min(i+3, len(s))] {
		case "25":
			b.WriteByte('%')
		case "1F":
			b.WriteString(memberSep)
		default:
			return "", fmt.Errorf("%q holds a %% that is not %%25 or %%1F", s)
		}
		i += 2
	}
	return b.String(), nil
}
