package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/meetingminutes/minutes/shared/buildinfo"
	"github.com/meetingminutes/minutes/shared/migrate"
)

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "handler %s (commit %s, %s %s/%s)\nschema: control %d, tenant %d\n",
		buildinfo.Version, buildinfo.Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		migrate.Latest(migrate.SetControl), migrate.Latest(migrate.SetTenant))
	return err
}
