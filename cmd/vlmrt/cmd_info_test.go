package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInfoFixtures runs "vlmrt info" on every reference file and checks the
// class and the parameter count against PATHS.txt.
func TestInfoFixtures(t *testing.T) {
	const dir = "../../testdata/keras"
	fh, err := os.Open(filepath.Join(dir, "PATHS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	header := regexp.MustCompile(`^## (\S+)\s+class=(\S+)\s+variables=\d+\s+params=(\d+)`)
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		m := header.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		var out, errOut bytes.Buffer
		if rc := mainWithArgs([]string{"info", filepath.Join(dir, m[1]+".safetensors")}, &out, &errOut); rc != 0 {
			t.Errorf("%s: exit %d: %s", m[1], rc, errOut.String())
			continue
		}
		for _, want := range []string{"class: " + m[2] + "\n", "parameters: " + m[3] + "\n", "task_type", "parameter bytes: F32 "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", m[1], want, out.String())
			}
		}
	}
	if n < 17 {
		t.Errorf("checked %d fixtures, want 17", n)
	}
}

// TestInfoBadFile checks that a bad file gives exit status 1 and one line.
func TestInfoBadFile(t *testing.T) {
	for _, args := range [][]string{
		{"info", "../../weights/testdata/malformed/offsets-hole.safetensors"},
		{"info", filepath.Join(t.TempDir(), "missing.safetensors")},
		{"info"},
	} {
		var out, errOut bytes.Buffer
		rc := mainWithArgs(args, &out, &errOut)
		if rc != 1 || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, rc, errOut.String())
		}
	}
}
