package reports_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pvaudit/pvaudit/reports"
)

var screenshot = flag.Bool("screenshot", false, "rewrite docs/report-sample.png from the browser test")

// browser finds a Chromium. Without one the test skips, unless
// PVAUDIT_REQUIRE_BROWSER=1 (CI) makes it mandatory.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PVAUDIT_REQUIRE_BROWSER") == "1" {
		t.Fatal("PVAUDIT_REQUIRE_BROWSER=1 but no Chromium is installed (apt-get install -y chromium)")
	}
	t.Skip("no Chromium installed: the HTML report is not checked in a browser (apt-get install -y chromium; PVAUDIT_REQUIRE_BROWSER=1 makes this test mandatory)")
	return ""
}

// TestHTMLInBrowser loads the sample scan's HTML report in headless
// Chromium: no console error, no network request, the summary counts of
// the scan, and the status filter hides PASS rows.
func TestHTMLInBrowser(t *testing.T) {
	exe := browser(t)
	scan := sampleScan(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, render(t, scan, "html", reports.Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 1600),
		chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var consoleErrors, requests []string
	url := "file://" + page
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				consoleErrors = append(consoleErrors, fmt.Sprint(e.Args))
			}
		case *runtime.EventExceptionThrown:
			consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			if e.Request.URL != url {
				requests = append(requests, e.Request.URL)
			}
		}
	})
	var failTotal, passTotal, visiblePass, allPass, visibleAfter, shown string
	var png []byte
	countPass := `String(Array.from(document.querySelectorAll('#findings-table tr.finding[data-status="PASS"]')).filter(r => r.offsetParent !== null).length)`
	err := chromedp.Run(ctx,
		network.Enable(),
		chromedp.Navigate(url),
		chromedp.WaitVisible("#counts", chromedp.ByQuery),
		chromedp.Text("#count-fail-total", &failTotal, chromedp.ByQuery),
		chromedp.Text("#count-pass-total", &passTotal, chromedp.ByQuery),
		chromedp.Evaluate(countPass, &visiblePass),
		chromedp.Evaluate(`String(document.querySelectorAll('#findings-table tr.finding[data-status="PASS"]').length)`, &allPass),
		chromedp.CaptureScreenshot(&png),
		// Show the PASS rows, then hide them again with the filter.
		chromedp.Click(`#filter-status input[value="PASS"]`, chromedp.ByQuery),
		chromedp.Evaluate(countPass, &visibleAfter),
		chromedp.Click(`#filter-status input[value="PASS"]`, chromedp.ByQuery),
		chromedp.Text("#shown", &shown, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if want := fmt.Sprint(scan.Summary.Fail); strings.TrimSpace(failTotal) != want {
		t.Errorf("FAIL total shown %q, want %s", failTotal, want)
	}
	if want := fmt.Sprint(scan.Summary.Pass); strings.TrimSpace(passTotal) != want {
		t.Errorf("PASS total shown %q, want %s", passTotal, want)
	}
	if visiblePass != "0" || allPass != fmt.Sprint(scan.Summary.Pass) {
		t.Errorf("the default filter shows %s of %s PASS rows, want 0", visiblePass, allPass)
	}
	if visibleAfter != allPass {
		t.Errorf("with PASS ticked %s PASS rows are visible, want %s", visibleAfter, allPass)
	}
	if !strings.Contains(shown, "rows shown") {
		t.Errorf("the filter says %q", shown)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
	if len(requests) > 0 {
		t.Errorf("the page made network requests: %v", requests)
	}
	if *screenshot {
		if err := os.WriteFile(filepath.Join("..", "docs", "report-sample.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
