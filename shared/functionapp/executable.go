package functionapp

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
)

// maxExecutableSize bounds how much of an executable is read into memory when the file
// system cannot serve random access (a compressed zip entry). 512 MiB.
const maxExecutableSize = 512 << 20

// checkExecutable checks that name is a regular file, executable by everyone, and a
// statically linked linux/amd64 ELF binary.
func checkExecutable(fsys fs.FS, name string) []*Problem {
	bad := func(format string, args ...any) []*Problem {
		return []*Problem{{Path: name, Rule: RuleExecutable, Detail: fmt.Sprintf(format, args...)}}
	}
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return bad("stat executable named by host.json: %v", err)
	}
	if !info.Mode().IsRegular() {
		return bad("executable is not a regular file (mode %v)", info.Mode())
	}
	var probs []*Problem
	if perm := info.Mode().Perm(); perm&0o111 != 0o111 {
		probs = append(probs, bad("executable has mode %#o, want the exec bits set (0755)", perm)...)
	}

	f, err := fsys.Open(name)
	if err != nil {
		return append(probs, bad("open executable: %v", err)...)
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(io.LimitReader(f, maxExecutableSize+1))
		if err != nil {
			return append(probs, bad("read executable: %v", err)...)
		}
		if len(data) > maxExecutableSize {
			return append(probs, bad("executable is larger than %d bytes", maxExecutableSize)...)
		}
		ra = bytes.NewReader(data)
	}
	for _, detail := range elfProblems(ra) {
		probs = append(probs, bad("%s", detail)...)
	}
	return probs
}

// elfProblems returns why r is not a static linux/amd64 executable, or nothing.
func elfProblems(r io.ReaderAt) []string {
	ef, err := elf.NewFile(r)
	if err != nil {
		return []string{fmt.Sprintf("not an ELF binary (build with GOOS=linux GOARCH=amd64): %v", err)}
	}
	defer ef.Close()

	var probs []string
	if ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_X86_64 {
		probs = append(probs, fmt.Sprintf("ELF is %v %v, want ELFCLASS64 EM_X86_64 (GOARCH=amd64)", ef.Class, ef.Machine))
	}
	if ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		probs = append(probs, fmt.Sprintf("ELF OS ABI is %v, want Linux (GOOS=linux)", ef.OSABI))
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		probs = append(probs, fmt.Sprintf("ELF type is %v, want an executable", ef.Type))
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			probs = append(probs, "ELF has a PT_INTERP program header: dynamically linked, build with CGO_ENABLED=0")
			break
		}
	}
	libs, err := ef.ImportedLibraries()
	switch {
	case err != nil:
		probs = append(probs, fmt.Sprintf("read ELF dynamic section: %v", err))
	case len(libs) > 0:
		probs = append(probs, fmt.Sprintf("ELF needs shared libraries %v, want a static binary (CGO_ENABLED=0)", libs))
	}
	return probs
}
