package emulatortest

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
)

const (
	// AccountName is Azurite's well-known development storage account.
	AccountName = "devstoreaccount1"
	// AccountKey is the well-known key of AccountName (public; Azurite's documented default).
	AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// AzuriteServer is a running Azurite emulator with the well-known development account.
type AzuriteServer struct {
	// BlobURL is the Blob service URL of the account: http://127.0.0.1:PORT/devstoreaccount1.
	BlobURL string
	// TableURL is the Table service URL of the account: http://127.0.0.1:PORT/devstoreaccount1.
	TableURL string
	// QueueURL is the Queue service URL of the account: http://127.0.0.1:PORT/devstoreaccount1.
	QueueURL string
	// ConnectionString holds the account, its key and the three endpoints, as the Azure SDKs'
	// NewClientFromConnectionString functions take it.
	ConnectionString string
}

// StripeMockServer is a running stripe-mock.
type StripeMockServer struct {
	// URL is the HTTP base URL (http://127.0.0.1:PORT), a value for STRIPE_API_BASE; any
	// sk_test_ key is accepted.
	URL string
}

// running holds the emulators of this test process. It is test code: package state is fine.
var running struct {
	mu        sync.Mutex
	azurite   *AzuriteServer
	azProc    *process
	azErr     error
	stripe    *StripeMockServer
	stripeP   *process
	stripeErr error
}

// Azurite returns the process's Azurite, starting it on first use. It skips t (fails it when
// CI is set) when Azurite is not installed, and fails t when it does not start.
func Azurite(t testing.TB) *AzuriteServer {
	t.Helper()
	bin := findBinary(t, "AZURITE_BIN", "node_modules/.bin/azurite")
	running.mu.Lock()
	defer running.mu.Unlock()
	if running.azurite == nil && running.azErr == nil {
		running.azurite, running.azProc, running.azErr = startAzurite(bin)
	}
	if running.azErr != nil {
		t.Fatalf("emulatortest: %v", running.azErr)
	}
	return running.azurite
}

// StripeMock returns the process's stripe-mock, starting it on first use. It skips t (fails it
// when CI is set) when stripe-mock is not installed, and fails t when it does not start.
func StripeMock(t testing.TB) *StripeMockServer {
	t.Helper()
	bin := findBinary(t, "STRIPE_MOCK_BIN", ".cache/bin/stripe-mock")
	running.mu.Lock()
	defer running.mu.Unlock()
	if running.stripe == nil && running.stripeErr == nil {
		running.stripe, running.stripeP, running.stripeErr = startStripeMock(bin)
	}
	if running.stripeErr != nil {
		t.Fatalf("emulatortest: %v", running.stripeErr)
	}
	return running.stripe
}

// Stop stops every emulator this process started. Call it after m.Run in TestMain (Main does);
// a later Azurite or StripeMock call starts a new one.
func Stop() {
	running.mu.Lock()
	defer running.mu.Unlock()
	for _, p := range []*process{running.azProc, running.stripeP} {
		if p != nil {
			p.stop()
		}
	}
	running.azurite, running.azProc, running.azErr = nil, nil, nil
	running.stripe, running.stripeP, running.stripeErr = nil, nil, nil
}

// Main runs the package's tests, stops the emulators and exits with the tests' code. Call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

func startAzurite(bin string) (*AzuriteServer, *process, error) {
	p, ports, err := start("azurite", bin, 3, func(ports []int) []string {
		return []string{
			"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(ports[0]),
			"--tableHost", "127.0.0.1", "--tablePort", strconv.Itoa(ports[1]),
			"--queueHost", "127.0.0.1", "--queuePort", strconv.Itoa(ports[2]),
			"--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
		}
	})
	if err != nil {
		return nil, nil, err
	}
	endpoint := func(port int) string {
		return fmt.Sprintf("http://127.0.0.1:%d/%s", port, AccountName)
	}
	a := &AzuriteServer{BlobURL: endpoint(ports[0]), TableURL: endpoint(ports[1]), QueueURL: endpoint(ports[2])}
	a.ConnectionString = fmt.Sprintf(
		"DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;TableEndpoint=%s;QueueEndpoint=%s;",
		AccountName, AccountKey, a.BlobURL, a.TableURL, a.QueueURL)
	return a, p, nil
}

func startStripeMock(bin string) (*StripeMockServer, *process, error) {
	p, ports, err := start("stripe-mock", bin, 2, func(ports []int) []string {
		return []string{
			"-http-addr", "127.0.0.1:" + strconv.Itoa(ports[0]),
			"-https-addr", "127.0.0.1:" + strconv.Itoa(ports[1]),
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return &StripeMockServer{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0])}, p, nil
}
