package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type codeBlock struct {
	lang, text string
}

func codeBlocks(t *testing.T, file string) []codeBlock {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []codeBlock
	re := regexp.MustCompile("(?s)```([a-z]*)\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, codeBlock{m[1], m[2]})
	}
	return out
}

// pvauditCommands are the pvaudit command lines of a block, with live
// sources replaced by the sample account and paths by a temporary folder.
func pvauditCommands(text, dir string) [][]string {
	var out [][]string
	re := regexp.MustCompile(`pvaudit ((?:scan|evidence export|schedule render|controls list|drift|baseline save)[^|>\n]*)`)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Description=") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := strings.Fields(m[1])
		var args []string
		hasFrom := false
		for i := 0; i < len(f); i++ {
			switch a := f[i]; {
			case a == "--profile" || a == "--role-arn" || a == "--region":
				i++
			case a == "--trail-lookup":
			case a == "--output-dir":
				args = append(args, a, filepath.Join(dir, "runs"))
				i++
			case a == "--baseline":
				args = append(args, a, filepath.Join(dir, filepath.Base(f[i+1])))
				i++
			case a == "--from":
				hasFrom = true
				args = append(args, a, repoPath(f[i+1]))
				i++
			case strings.HasPrefix(a, "-o") && strings.Contains(a, "="), i > 0 && f[i-1] == "-o" && strings.Contains(a, "="):
				format, file, _ := strings.Cut(a, "=")
				args = append(args, format+"="+filepath.Join(dir, filepath.Base(file)))
			default:
				args = append(args, a)
			}
		}
		if !hasFrom && args[0] != "schedule" {
			args = append(args, "--from", repoPath("testdata", "accounts", "sample.json"))
		}
		out = append(out, args)
	}
	return out
}

// TestSchedulingDocExamples runs every pvaudit command of
// docs/scheduling.md (live sources replaced by the sample account) and
// checks the shape of every cron, systemd, GitHub Actions and GitLab
// example.
func TestSchedulingDocExamples(t *testing.T) {
	t.Parallel()
	blocks := codeBlocks(t, repoPath("docs", "scheduling.md"))
	ran, yamls, units := 0, 0, 0
	for i, b := range blocks {
		dir := t.TempDir()
		for _, args := range pvauditCommands(b.text, dir) {
			ran++
			code, _, stderr := runTest(t, args...)
			// Drift of the bundled AWS CLI exports is incomplete (they list
			// no access keys): exit 2 without an error is what the document
			// says.
			drift := strings.Contains(strings.Join(args, " "), "--baseline") && args[0] != "baseline"
			if drift && code == exitError && !strings.Contains(stderr, "pvaudit:") {
				continue
			}
			if code != exitClean && code != exitFindings {
				t.Errorf("block %d: pvaudit %s: exit %d\n%s", i, strings.Join(args, " "), code, stderr)
			}
		}
		switch b.lang {
		case "yaml":
			yamls++
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(b.text), &doc); err != nil {
				t.Errorf("block %d: YAML: %v", i, err)
				continue
			}
			if _, gh := doc["jobs"]; gh {
				if !strings.Contains(b.text, "upload-sarif") || !strings.Contains(b.text, "security-events: write") {
					t.Errorf("the GitHub Actions example does not upload SARIF")
				}
			} else if job, ok := doc["pvaudit"].(map[string]any); ok {
				arts, _ := job["artifacts"].(map[string]any)
				reps, _ := arts["reports"].(map[string]any)
				if reps["junit"] == nil {
					t.Errorf("the GitLab example has no JUnit report")
				}
			} else {
				t.Errorf("block %d: YAML that is neither a GitHub workflow nor a GitLab job", i)
			}
		case "ini":
			units++
			if !(strings.Contains(b.text, "[Service]") && strings.Contains(b.text, "ExecStart=/usr/local/bin/pvaudit ")) &&
				!(strings.Contains(b.text, "[Timer]") && strings.Contains(b.text, "OnCalendar=")) {
				t.Errorf("block %d: not a pvaudit service or timer unit", i)
			}
		case "cron":
			for _, l := range strings.Split(b.text, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && len(strings.Fields(l)) < 6 {
					t.Errorf("cron line without five time fields and a command: %q", l)
				}
			}
		}
	}
	if ran < 6 || yamls != 2 || units != 2 {
		t.Errorf("ran %d commands, %d YAML and %d unit blocks: the document is not what this test expects", ran, yamls, units)
	}
}
