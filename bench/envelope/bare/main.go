// Command bare is the baseline of bench/envelope: a net/http server whose
// POST /TenantHealthSweep does only the JSON work any minimal custom handler does for a no-op
// timer function, decode the invocation envelope and encode the empty reply.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

// envelope is the host's request body, decoded generically.
type envelope struct {
	Data     map[string]any `json:"Data"`
	Metadata map[string]any `json:"Metadata"`
}

type reply struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

func main() {
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	http.HandleFunc("POST /TenantHealthSweep", sweep)
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil))
}

// sweep answers a timer invocation of a function that does nothing.
func sweep(w http.ResponseWriter, r *http.Request) {
	var env envelope
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply{Outputs: map[string]any{}, Logs: []string{}})
}
