// Command hello is the baseline of bench/coldstart: the smallest net/http server that does
// what the Functions host needs before it sends work, listen on
// 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT and answer GET /.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello\n"))
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil))
}
