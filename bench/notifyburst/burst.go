package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
	"github.com/meetingminutes/minutes/shared/graphhook"
)

// maxKey is the longest message id River keeps as is (queue's maxMessageID); longer ones are
// hashed, and the zero-loss check looks jobs up by the plain dedupe key.
const maxKey = 128

// item is one notification sent: the dedupe key GraphNotifications derives from it.
type item struct {
	key string
}

// request is one POST: its body and the items in it.
type request struct {
	body  []byte
	items []item
}

// outcome is what one request got.
type outcome struct {
	status int // 0: transport error
	dur    time.Duration
	detail string
}

// result is the burst's record.
type result struct {
	warmReqs, warmErrors int
	warmSample           string
	reqs                 []request
	out                  []outcome
	wall                 time.Duration
	conns                atomic.Int64
	handlerCPU, selfCPU  time.Duration
	pgCPU                time.Duration
	pgCPUOK              bool
	acked                []item // every item acknowledged with 202, warm-up included
}

// makeRequests builds count notifications (numbered from first, tenants round-robin) in POSTs
// of batch items, as Graph sends plain transcript notifications.
func makeRequests(tenants []tenant, first, count, batch int) ([]request, error) {
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	var out []request
	for start := 0; start < count; start += batch {
		var b graphhook.Batch
		var items []item
		for i := start; i < min(start+batch, count); i++ {
			t := tenants[(first+i)%len(tenants)]
			organizer := uuid.New()
			meeting := base64.StdEncoding.EncodeToString([]byte("1*" + organizer.String() + "*0**19:meeting_" +
				strings.ReplaceAll(uuid.NewString(), "-", "")[:24] + "@thread.v2"))
			transcript := base64.StdEncoding.EncodeToString([]byte("1##0##" + uuid.NewString()))
			resource := "communications/onlineMeetings('" + meeting + "')/transcripts('" + transcript + "')"
			b.Value = append(b.Value, graphhook.Notification{
				SubscriptionID:                 t.sub,
				SubscriptionExpirationDateTime: expires,
				ChangeType:                     graphhook.ChangeCreated,
				Resource:                       resource,
				ResourceData: &graphhook.ResourceData{
					ODataType: "#Microsoft.Graph.callTranscript", ODataID: resource, ID: transcript,
				},
				ClientState: t.clientState,
				TenantID:    t.azure,
			})
			key := t.azure.String() + ":transcript:" + transcript
			if len(key) > maxKey {
				return nil, fmt.Errorf("dedupe key of %d bytes: River would hash it", len(key))
			}
			items = append(items, item{key: key})
		}
		body, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		out = append(out, request{body: body, items: items})
	}
	return out, nil
}

// burst runs the warm-up and then the timed burst against srv.
func burst(ctx context.Context, srv *benchkit.Proc, tenants []tenant, cfg config) (*result, error) {
	url := "http://" + srv.Addr + "/api/graph/notifications"
	tr := &http.Transport{
		MaxConnsPerHost:     cfg.c,
		MaxIdleConnsPerHost: cfg.c,
		MaxIdleConns:        cfg.c,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.reqTimeout}
	res := &result{}

	warm, err := makeRequests(tenants, 0, cfg.warmup*cfg.batch, cfg.batch)
	if err != nil {
		return nil, err
	}
	if len(warm) > 0 {
		wout := fire(ctx, client, url, warm, cfg.c, &res.conns)
		res.warmReqs = len(warm)
		for i, o := range wout {
			if o.status == http.StatusAccepted {
				res.acked = append(res.acked, warm[i].items...)
				continue
			}
			res.warmErrors++
			if res.warmSample == "" {
				res.warmSample = fmt.Sprintf("%d %s", o.status, o.detail)
			}
		}
		if res.warmErrors == len(warm) {
			return nil, fmt.Errorf("every warm-up request failed, e.g. %s; handler: %s", res.warmSample, srv.Describe())
		}
	}

	res.reqs, err = makeRequests(tenants, cfg.warmup*cfg.batch, cfg.n, cfg.batch)
	if err != nil {
		return nil, err
	}
	pid := srv.Cmd.Process.Pid
	h0, _ := benchkit.CPUTime(pid)
	s0 := benchkit.SelfCPUTime()
	p0, pok0 := postgresCPU()
	start := time.Now()
	res.out = fire(ctx, client, url, res.reqs, cfg.c, &res.conns)
	res.wall = time.Since(start)
	h1, _ := benchkit.CPUTime(pid)
	p1, pok1 := postgresCPU()
	res.handlerCPU, res.selfCPU = h1-h0, benchkit.SelfCPUTime()-s0
	res.pgCPU, res.pgCPUOK = p1-p0, pok0 && pok1
	for i, o := range res.out {
		if o.status == http.StatusAccepted {
			res.acked = append(res.acked, res.reqs[i].items...)
		}
	}
	return res, ctx.Err()
}

// fire sends reqs over c workers sharing client (at most c connections) and returns each
// request's outcome. The workers start together.
func fire(ctx context.Context, client *http.Client, url string, reqs []request, c int, conns *atomic.Int64) []outcome {
	out := make([]outcome, len(reqs))
	var next atomic.Int64
	trace := &httptrace.ClientTrace{ConnectStart: func(string, string) { conns.Add(1) }}
	tctx := httptrace.WithClientTrace(ctx, trace)
	var ready, done sync.WaitGroup
	startc := make(chan struct{})
	for range min(c, len(reqs)) {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-startc
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) || tctx.Err() != nil {
					return
				}
				out[i] = post(tctx, client, url, reqs[i].body)
			}
		}()
	}
	ready.Wait()
	close(startc)
	done.Wait()
	return out
}

// post sends one notification POST as Graph does and times it to the end of the response.
func post(ctx context.Context, client *http.Client, url string, body []byte) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return outcome{dur: time.Since(start), detail: err.Error()}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o := outcome{status: resp.StatusCode, dur: time.Since(start)}
	if resp.StatusCode != http.StatusAccepted {
		o.detail = strings.TrimSpace(string(b))
	}
	return o
}

func (r *result) sorted() []time.Duration {
	ds := make([]time.Duration, len(r.out))
	for i, o := range r.out {
		ds[i] = o.dur
	}
	return benchkit.Sorted(ds)
}

func (r *result) p99() time.Duration { return benchkit.Percentile(r.sorted(), 99) }

// ackedInBurst counts the burst's acknowledged notifications.
func (r *result) ackedInBurst() int {
	n := 0
	for i, o := range r.out {
		if o.status == http.StatusAccepted {
			n += len(r.reqs[i].items)
		}
	}
	return n
}

// throughput is the burst's acknowledged notifications per second.
func (r *result) throughput() float64 { return float64(r.ackedInBurst()) / r.wall.Seconds() }

func (r *result) print(cfg config, appConns int) {
	fmt.Printf("\nwarm-up: %d requests at %d-way concurrency, not timed, %d errors", r.warmReqs, cfg.c, r.warmErrors)
	if r.warmSample != "" {
		fmt.Printf(" (e.g. %s)", r.warmSample)
	}
	fmt.Println()
	notifs := 0
	for _, q := range r.reqs {
		notifs += len(q.items)
	}
	fmt.Printf("burst: %d requests, %d notifications (%d per POST, plain, %d tenants round-robin), %d concurrent keep-alive connections\n",
		len(r.reqs), notifs, cfg.batch, cfg.tenants, cfg.c)
	statuses := map[int]int{}
	sample := map[int]string{}
	for _, o := range r.out {
		statuses[o.status]++
		if _, ok := sample[o.status]; !ok && o.detail != "" {
			sample[o.status] = o.detail
		}
	}
	codes := make([]int, 0, len(statuses))
	for s := range statuses {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	var parts []string
	for _, s := range codes {
		name := strconv.Itoa(s)
		if s == 0 {
			name = "transport error"
		}
		p := fmt.Sprintf("%s: %d", name, statuses[s])
		if d := sample[s]; d != "" && s != http.StatusAccepted {
			p += fmt.Sprintf(" (e.g. %q)", truncate(d, 160))
		}
		parts = append(parts, p)
	}
	fmt.Printf("responses: %s\n", strings.Join(parts, ", "))
	s := r.sorted()
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	fmt.Printf("latency ms (all requests): p50 %s  p90 %s  p99 %s  max %s  mean %s\n",
		ms(benchkit.Percentile(s, 50)), ms(benchkit.Percentile(s, 90)), ms(benchkit.Percentile(s, 99)),
		ms(s[len(s)-1]), ms(sum/time.Duration(len(s))))
	fmt.Printf("throughput: %.0f notifications/s acknowledged (%.0f requests/s), %d in %.2f s\n",
		r.throughput(), float64(len(r.reqs))/r.wall.Seconds(), r.ackedInBurst(), r.wall.Seconds())
	cpu := r.handlerCPU + r.selfCPU
	pg := "n/a"
	if r.pgCPUOK {
		cpu += r.pgCPU
		pg = fmt.Sprintf("%.2f s", r.pgCPU.Seconds())
	}
	fmt.Printf("CPU during the burst: handler %.2f s, PostgreSQL (every postgres process on the machine) %s, load generator %.2f s: %.2f of %d CPUs busy\n",
		r.handlerCPU.Seconds(), pg, r.selfCPU.Seconds(), cpu.Seconds()/r.wall.Seconds(), runtime.NumCPU())
	if acked := r.ackedInBurst(); acked > 0 {
		per := fmt.Sprintf("CPU per acknowledged notification: handler %s ms", ms2(r.handlerCPU/time.Duration(acked)))
		if r.pgCPUOK {
			per += fmt.Sprintf(", PostgreSQL %s ms", ms2(r.pgCPU/time.Duration(acked)))
		}
		fmt.Println(per)
	}
	fmt.Printf("connections: %d HTTP opened (warm-up and burst), %d minutes_app sessions open on the database after the burst\n",
		r.conns.Load(), appConns)
	fmt.Printf("goal p99 < %s ms: %s\n", ms(goalP99), verdict(r.p99() < goalP99))
}

// postgresCPU sums the CPU time of every process named postgres that this user can read.
func postgresCPU() (time.Duration, bool) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, false
	}
	var sum time.Duration
	found := false
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if t, err := benchkit.CPUTime(pid); err == nil {
			sum += t
			found = true
		}
	}
	return sum, found
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

func ms2(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

func mib(n int64) string { return benchkit.MiB(n) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
